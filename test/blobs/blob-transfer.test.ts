import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { MiB, startPair, storeRandomBlob } from './fixtures.js'
import type { BlobStore } from '../../src/blobs/index.js'

async function hashOnDisk (store: BlobStore, hash: string): Promise<string> {
  const hasher = createHash('sha256')
  for await (const chunk of store.read(hash)) hasher.update(chunk)
  return hasher.digest('hex')
}

test('a multi-MiB blob moves between two peers and arrives with the right hash', async (t) => {
  const { client, server } = await startPair(t)
  // Larger than FLUSH_BEHIND_BYTES, so part of it goes to the disk while the rest is still arriving.
  const blob = await storeRandomBlob(t, server, 20 * MiB + 3)
  let lastProgress = { received: 0, size: 0 }
  const result = await client.blobs.fetch(server.node.peerId, blob.hash, {
    expectedSize: blob.size,
    onProgress: (progress) => { lastProgress = progress }
  })
  assert.deepEqual(result, { hash: blob.hash, size: blob.size, transferred: true, resumedAt: [], restarts: 0 })
  assert.deepEqual(lastProgress, { hash: blob.hash, received: blob.size, size: blob.size })
  assert.equal(await hashOnDisk(client.store, blob.hash), blob.hash)
  assert.equal(await client.store.partial(blob.hash), 0)
})

test('a peer that already holds the blob answers at once, even with the other peer gone', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, MiB)
  await client.blobs.fetch(server.node.peerId, blob.hash)
  await server.node.stop()
  const again = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.deepEqual(again, { hash: blob.hash, size: blob.size, transferred: false, resumedAt: [], restarts: 0 })
})

test('a transfer cut halfway resumes at the offset it reached and ends with the right hash', async (t) => {
  const size = 8 * MiB
  const { client, server } = await startPair(t, { fault: { kind: 'cut', afterBytes: size / 2 } })
  const blob = await storeRandomBlob(t, server, size)
  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.resumedAt.length, 1)
  assert.ok(result.resumedAt[0] > 0 && result.resumedAt[0] <= size / 2, `resumed at ${result.resumedAt[0]}`)
  assert.equal(result.restarts, 0)
  assert.equal(await hashOnDisk(client.store, blob.hash), blob.hash)
})

test('a corrupted transfer is detected and fetched again from zero', async (t) => {
  const { client, server } = await startPair(t, { fault: { kind: 'corrupt', atOffset: 3 * MiB + 1 } })
  const blob = await storeRandomBlob(t, server, 5 * MiB)
  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.restarts, 1)
  assert.equal(await hashOnDisk(client.store, blob.hash), blob.hash)
})

test('content that keeps failing its hash ends in BlobHashMismatchError and nothing is kept', async (t) => {
  const { client, server } = await startPair(t, { fault: { kind: 'corrupt', atOffset: 10 } }, { maxRestarts: 0 })
  const blob = await storeRandomBlob(t, server, MiB)
  await assert.rejects(client.blobs.fetch(server.node.peerId, blob.hash), { name: 'BlobHashMismatchError' })
  assert.equal(await client.store.has(blob.hash), false)
  assert.equal(await client.store.partial(blob.hash), 0)
})

test('a blob the peer does not have gives BlobNotFoundError', async (t) => {
  const { client, server } = await startPair(t)
  const missing = 'e'.repeat(64)
  await assert.rejects(client.blobs.fetch(server.node.peerId, missing), { name: 'BlobNotFoundError' })
  assert.equal(await client.store.partial(missing), 0)
})

test('an oversized blob is refused before a byte is written', async (t) => {
  const { client, server } = await startPair(t, {}, { maxBlobBytes: MiB })
  const blob = await storeRandomBlob(t, server, 2 * MiB)
  await assert.rejects(client.blobs.fetch(server.node.peerId, blob.hash), { name: 'BlobTooLargeError' })
  await assert.rejects(client.blobs.fetch(server.node.peerId, blob.hash, { expectedSize: 2 * MiB }), { name: 'BlobTooLargeError' })
  assert.equal(await client.store.partial(blob.hash), 0)
  assert.equal(await client.store.has(blob.hash), false)
})

test('concurrent fetches of one hash share a single download', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, 4 * MiB)
  const results = await Promise.all([1, 2, 3].map(async () => client.blobs.fetch(server.node.peerId, blob.hash)))
  assert.ok(results.every(result => result === results[0] && result.transferred))
  assert.equal(await hashOnDisk(client.store, blob.hash), blob.hash)
})

test('a cancelled fetch keeps its bytes and the next fetch resumes from them', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, 16 * MiB)
  const cancel = new AbortController()
  await assert.rejects(client.blobs.fetch(server.node.peerId, blob.hash, {
    signal: cancel.signal,
    onProgress: ({ received }) => { if (received >= 2 * MiB) cancel.abort(new Error('operator cancelled')) }
  }))
  const kept = await client.store.partial(blob.hash)
  assert.ok(kept >= 2 * MiB, `kept ${kept} bytes`)

  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.resumedAt[0], kept)
  assert.equal(await hashOnDisk(client.store, blob.hash), blob.hash)
})
