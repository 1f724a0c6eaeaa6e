import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { createMeshLibp2p } from '../../src/node/libp2p.js'
import type { Stream } from '@libp2p/interface'

const ECHO = '/test/echo/1.0.0'
/** Below the size at which @libp2p/pnet's own cipher gives out, and many socket reads long. */
const ECHO_BYTES = 2 * 1024 * 1024

function meshKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

async function oursWith (key: Uint8Array): Promise<Libp2p> {
  return createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 }, meshKey: key })
}

/** A peer as libp2p's own private networks make it, with @libp2p/pnet. */
async function pnetWith (key: Uint8Array): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: key })
  })
}

async function echoHandler (stream: Stream): Promise<void> {
  for await (const chunk of stream) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
}

/** Sends `bytes` to the echo protocol on `to` and returns what came back. */
async function echo (from: Libp2p, to: Libp2p, bytes: Uint8Array): Promise<Buffer> {
  const stream = await from.dialProtocol(to.getMultiaddrs()[0], ECHO, { signal: AbortSignal.timeout(10_000) })
  const back: Uint8Array[] = []
  const reading = (async () => { for await (const chunk of stream) back.push(chunk.subarray()) })()
  for (let at = 0; at < bytes.byteLength; at += 64 * 1024) {
    if (!stream.send(bytes.subarray(at, at + 64 * 1024))) await stream.onDrain()
  }
  await stream.close()
  await reading
  return Buffer.concat(back)
}

for (const [dialer, listener] of [['ours', 'pnet'], ['pnet', 'ours']] as const) {
  test(`a peer on our protector and a peer on @libp2p/pnet share a keyed mesh, ${dialer} dialling ${listener}`, async (t) => {
    const key = meshKey()
    const make = { ours: oursWith, pnet: pnetWith }
    const from = await make[dialer](key)
    const to = await make[listener](key)
    t.after(async () => { await from.stop(); await to.stop() })
    await to.handle(ECHO, echoHandler)
    const bytes = randomBytes(ECHO_BYTES)
    assert.deepEqual(await echo(from, to, bytes), bytes)
  })
}

test('a peer with another mesh key cannot open a stream to ours', async (t) => {
  const ours = await oursWith(meshKey())
  const stranger = await pnetWith(meshKey())
  t.after(async () => { await ours.stop(); await stranger.stop() })
  await ours.handle(ECHO, echoHandler)
  await assert.rejects(stranger.dialProtocol(ours.getMultiaddrs()[0], ECHO, { signal: AbortSignal.timeout(2_000) }))
  assert.equal(ours.getConnections().length, 0)
})

test('a mesh key file that is not one stops the peer from starting, saying so', async () => {
  const key = new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nnot-hex')
  await assert.rejects(oursWith(key), { name: 'InvalidMeshKeyError' })
})
