import assert from 'node:assert/strict'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { BlobStore } from '../../src/blobs/index.js'
import { chunksOf, tempDir } from './fixtures.js'

const HOUR = 3_600_000

/** Stores `size` bytes of `fill` and backdates its last use by `ageMs`. */
async function storeAged (store: BlobStore, fill: number, size: number, ageMs: number): Promise<string> {
  const { hash } = await store.write(chunksOf(Buffer.alloc(size, fill)))
  const when = new Date(Date.now() - ageMs)
  await utimes(join(store.dir, hash.slice(0, 2), hash.slice(2)), when, when)
  return hash
}

test('gc by age removes blobs unused for longer than maxAgeMs, except those kept', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const old = await storeAged(store, 1, 100, 48 * HOUR)
  const oldButKept = await storeAged(store, 2, 100, 48 * HOUR)
  const fresh = await storeAged(store, 3, 100, HOUR)

  const result = await store.gc({ maxAgeMs: 24 * HOUR, keep: new Set([oldButKept]) })
  assert.deepEqual(result.removed, [old])
  assert.equal(result.freedBytes, 100)
  assert.equal(result.remainingBytes, 200)
  assert.equal(await store.has(old), false)
  assert.equal(await store.has(oldButKept), true)
  assert.equal(await store.has(fresh), true)
})

test('gc by total size removes least recently used first until the rest fit, sparing kept blobs', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const oldest = await storeAged(store, 1, 1000, 5 * HOUR)
  const oldestKept = await storeAged(store, 2, 1000, 4 * HOUR)
  const middle = await storeAged(store, 3, 1000, 3 * HOUR)
  const recent = await storeAged(store, 4, 1000, 2 * HOUR)

  const result = await store.gc({ maxTotalBytes: 2000, keep: new Set([oldestKept]) })
  assert.deepEqual(result.removed, [oldest, middle])
  assert.equal(result.remainingBytes, 2000)
  assert.equal(await store.has(oldestKept), true)
  assert.equal(await store.has(recent), true)
})

test('reading a blob counts as use and saves it from gc by age', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const hash = await storeAged(store, 9, 100, 48 * HOUR)
  for await (const chunk of store.read(hash)) assert.ok(chunk.byteLength > 0)
  const result = await store.gc({ maxAgeMs: 24 * HOUR })
  assert.deepEqual(result.removed, [])
  assert.equal(await store.has(hash), true)
})
