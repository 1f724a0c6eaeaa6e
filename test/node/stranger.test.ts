import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { BLOB_PROTOCOL } from '../../src/blobs/constants.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import type { TestContext } from 'node:test'

const DIAL_TIMEOUT_MS = 5000

/** A plain libp2p node with no meshnode code and no key: what anyone on the LAN can run. */
async function stranger (t: TestContext): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  t.after(async () => { await node.stop() })
  return node
}

test('a stranger without the key cannot connect to a peer started the default way, which made its own key', async (t) => {
  const dir = await tempDir(t, 'meshnode-stranger-')
  const peer = await startPeer(t, dir, 'default', c => { c.open = false })
  const keyFile = join(dir, 'default', 'mesh.key')
  assert.equal(peer.meshKey?.file, keyFile, 'with no key given, the key lives in the data dir')
  assert.equal(peer.meshKey?.created, true)
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'only the owner can read the key')

  const mallory = await stranger(t)
  await assert.rejects(mallory.dialProtocol(peer.libp2p.getMultiaddrs()[0], BLOB_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }),
    'the stranger gets no connection, so no stream to the blob protocol either')
  assert.deepEqual(peer.libp2p.getConnections(mallory.peerId), [], 'the peer holds no connection to the stranger')
  assert.equal(peer.capabilities.peers().length, 0, 'the peer lists no one')
})

test('the same stranger does reach a peer started with --open (so the refusal above is the key\'s doing)', async (t) => {
  const dir = await tempDir(t, 'meshnode-stranger-open-')
  const peer = await startPeer(t, dir, 'open', c => { c.open = true })
  assert.equal(peer.meshKey, undefined)
  const mallory = await stranger(t)
  const stream = await mallory.dialProtocol(peer.libp2p.getMultiaddrs()[0], BLOB_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  await stream.close()
  assert.equal(peer.libp2p.getConnections(mallory.peerId).length, 1, 'an open mesh lets any machine in')
})
