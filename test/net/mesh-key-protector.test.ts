import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import { newMeshKey } from '../../src/net/mesh-key.js'
import type { Stream } from '@libp2p/interface'

const ECHO = '/test/echo/1.0.0'
/** Many socket reads long, so the cipher runs over chunks cut wherever the sockets cut them. */
const ECHO_BYTES = 8 * 1024 * 1024

async function oursWith (key: Uint8Array): Promise<Libp2p> {
  return createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 }, meshKey: key })
}

/** A peer as libp2p's own private networks make it, with @libp2p/pnet: as meshnode's were before ChaCha20. */
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

test('two peers with the same mesh key connect and carry a stream intact both ways', async (t) => {
  const key = newMeshKey()
  const from = await oursWith(key)
  const to = await oursWith(key)
  t.after(async () => { await from.stop(); await to.stop() })
  await to.handle(ECHO, echoHandler)
  const bytes = randomBytes(ECHO_BYTES)
  assert.deepEqual(await echo(from, to, bytes), bytes)
})

for (const [dialer, listener] of [['ours', 'pnet'], ['pnet', 'ours']] as const) {
  test(`a peer on the old cipher (@libp2p/pnet) with the same key cannot connect, ${dialer} dialling ${listener}`, async (t) => {
    const key = newMeshKey()
    const make = { ours: oursWith, pnet: pnetWith }
    const from = await make[dialer](key)
    const to = await make[listener](key)
    t.after(async () => { await from.stop(); await to.stop() })
    await to.handle(ECHO, echoHandler)
    await assert.rejects(from.dialProtocol(to.getMultiaddrs()[0], ECHO, { signal: AbortSignal.timeout(2_000) }))
    assert.equal(from.getConnections().length + to.getConnections().length, 0)
  })
}

test('a peer with another mesh key cannot open a stream to ours', async (t) => {
  const ours = await oursWith(newMeshKey())
  const stranger = await oursWith(newMeshKey())
  t.after(async () => { await ours.stop(); await stranger.stop() })
  await ours.handle(ECHO, echoHandler)
  await assert.rejects(stranger.dialProtocol(ours.getMultiaddrs()[0], ECHO, { signal: AbortSignal.timeout(2_000) }))
  assert.equal(ours.getConnections().length, 0)
})

test('a mesh key file that is not one stops the peer from starting, saying so', async () => {
  const key = new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nnot-hex')
  await assert.rejects(oursWith(key), { name: 'InvalidMeshKeyError' })
})
