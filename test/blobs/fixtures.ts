import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { BlobService, BlobStore } from '../../src/blobs/index.js'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import type { BlobServiceInit } from '../../src/blobs/index.js'
import type { MeshLibp2p } from '../../src/net/libp2p.js'
import type { TestContext } from 'node:test'

export const MiB = 1024 * 1024

export function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A fresh folder removed after the test, pass or fail. */
export async function tempDir (t: TestContext, prefix = 'meshnode-blobs-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** Writes `size` random bytes to `path` in 1 MiB pieces; returns the content's sha256. */
export async function writeRandomFile (path: string, size: number): Promise<string> {
  const hasher = createHash('sha256')
  const handle = await open(path, 'w')
  try {
    for (let written = 0; written < size; written += MiB) {
      const piece = randomBytes(Math.min(MiB, size - written))
      hasher.update(piece)
      await handle.write(piece)
    }
  } finally {
    await handle.close()
  }
  return hasher.digest('hex')
}

export async function * chunksOf (...pieces: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield * pieces
}

export interface BlobPeerUnderTest {
  node: MeshLibp2p
  store: BlobStore
  blobs: BlobService
}

/** A real libp2p node on 127.0.0.1 (mDNS off) with a store and a started blob service. */
export async function startBlobPeer (t: TestContext, init: Omit<BlobServiceInit, 'store'> & { maxBlobBytes?: number } = {}): Promise<BlobPeerUnderTest> {
  const dir = await tempDir(t)
  const store = await BlobStore.open(dir, { maxBlobBytes: init.maxBlobBytes })
  const node = await createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: { enabled: false, intervalMs: 1000 }
  })
  const blobs = new BlobService(node, { timeoutMs: 10_000, ...init, store })
  await blobs.start()
  t.after(async () => {
    await blobs.stop()
    await node.stop()
  })
  return { node, store, blobs }
}

/** Two peers, the first dialled to the second. */
export async function startPair (t: TestContext, serverInit: Omit<BlobServiceInit, 'store'> = {}, clientInit: Omit<BlobServiceInit, 'store'> = {}): Promise<{ client: BlobPeerUnderTest, server: BlobPeerUnderTest }> {
  const server = await startBlobPeer(t, serverInit)
  const client = await startBlobPeer(t, clientInit)
  await client.node.dial(server.node.getMultiaddrs()[0])
  return { client, server }
}

/** A blob of `size` random bytes stored on `peer`. */
export async function storeRandomBlob (t: TestContext, peer: BlobPeerUnderTest, size: number): Promise<{ hash: string, size: number }> {
  const dir = await tempDir(t)
  const path = join(dir, 'input.bin')
  await writeRandomFile(path, size)
  return peer.store.importFile(path)
}
