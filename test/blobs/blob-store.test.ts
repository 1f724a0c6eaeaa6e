import assert from 'node:assert/strict'
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { BlobStore } from '../../src/blobs/index.js'
import { chunksOf, MiB, sha256, tempDir, writeRandomFile } from './fixtures.js'

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Every file under the store, to prove that a refused write left nothing behind. */
async function filesIn (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile()).map(entry => join(entry.parentPath, entry.name))
}

test('an imported file is stored under its sha256 and reads back whole and from an offset', async (t) => {
  const dir = await tempDir(t)
  const store = await BlobStore.open(join(dir, 'blobs'))
  const input = join(dir, 'part.stl')
  const expected = await writeRandomFile(input, 3 * MiB + 17)

  const { hash, size } = await store.importFile(input)
  assert.equal(hash, expected)
  assert.equal(size, 3 * MiB + 17)
  assert.equal(await store.has(hash), true)
  assert.equal((await stat(join(dir, 'blobs', hash.slice(0, 2), hash.slice(2)))).size, size)

  const original = await readFile(input)
  assert.deepEqual(await collect(store.read(hash)), original)
  assert.deepEqual(await collect(store.read(hash, MiB + 5)), original.subarray(MiB + 5))
  assert.equal((await store.stat(hash))?.size, size)
})

test('stat and has answer undefined/false for an unknown blob, and reading it is a named error', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const unknown = 'a'.repeat(64)
  assert.equal(await store.stat(unknown), undefined)
  assert.equal(await store.has(unknown), false)
  await assert.rejects(collect(store.read(unknown)), { name: 'BlobNotFoundError' })
  await assert.rejects(store.copyTo(unknown, join(store.dir, 'x')), { name: 'BlobNotFoundError' })
})

test('copyTo places the blob in a job folder with its content, and reading it marks it used', async (t) => {
  const dir = await tempDir(t)
  const store = await BlobStore.open(join(dir, 'blobs'))
  const content = Buffer.from('cube([10, 10, 10]);\n')
  const { hash } = await store.write(chunksOf(content))
  const lastWeek = new Date(Date.now() - 7 * 24 * 3_600_000)
  await utimes(join(store.dir, hash.slice(0, 2), hash.slice(2)), lastWeek, lastWeek)

  const dest = join(dir, 'input.scad')
  await store.copyTo(hash, dest)
  assert.deepEqual(await readFile(dest), content)
  assert.ok((await store.stat(hash))!.lastUsed > lastWeek.getTime() + 3_600_000)
})

test('a write whose content does not match the expected hash is refused and nothing is stored', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const content = Buffer.from('G28\nG1 X10\n')
  const wrong = sha256(Buffer.from('something else'))
  await assert.rejects(store.write(chunksOf(content), { expectedHash: wrong }), { name: 'BlobHashMismatchError' })
  assert.equal(await store.has(sha256(content)), false)
  assert.equal(await store.has(wrong), false)
  assert.deepEqual(await filesIn(store.dir), [])
})

test('a write with the wrong expected size is refused', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  await assert.rejects(store.write(chunksOf(Buffer.alloc(10), Buffer.alloc(10)), { expectedSize: 15 }), { name: 'BlobSizeMismatchError' })
  await assert.rejects(store.write(chunksOf(Buffer.alloc(10)), { expectedSize: 15 }), { name: 'BlobSizeMismatchError' })
  assert.deepEqual(await filesIn(store.dir), [])
})

test('an oversized blob is refused before a byte is read or written', async (t) => {
  const dir = await tempDir(t)
  const store = await BlobStore.open(join(dir, 'blobs'), { maxBlobBytes: 1000 })
  let pulled = 0
  async function * source (): AsyncIterable<Uint8Array> {
    pulled++
    yield Buffer.alloc(10)
  }
  await assert.rejects(store.write(source(), { expectedSize: 1001 }), { name: 'BlobTooLargeError' })
  assert.equal(pulled, 0)

  const big = join(dir, 'big.gcode')
  await writeFile(big, Buffer.alloc(1001))
  await assert.rejects(store.importFile(big), { name: 'BlobTooLargeError' })

  // Without an announced size, the write stops once the limit is passed.
  await assert.rejects(store.write(chunksOf(Buffer.alloc(600), Buffer.alloc(600))), { name: 'BlobTooLargeError' })
  assert.deepEqual(await filesIn(store.dir), [])
})

test('hashes that are not 64 lowercase hex characters never become paths', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  for (const hostile of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(65), 'a'.repeat(63) + '\0', '', 'ab/' + 'c'.repeat(61)]) {
    await assert.rejects(store.stat(hostile), { name: 'InvalidBlobHashError' }, JSON.stringify(hostile))
    await assert.rejects(collect(store.read(hostile)), { name: 'InvalidBlobHashError' })
    await assert.rejects(store.openPartial(hostile), { name: 'InvalidBlobHashError' })
    await assert.rejects(store.write(chunksOf(Buffer.from('x')), { expectedHash: hostile }), { name: 'InvalidBlobHashError' })
  }
})

test('concurrent writes of one blob all succeed and leave one intact blob', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const content = Buffer.alloc(2 * MiB, 7)
  const results = await Promise.all(Array.from({ length: 8 }, async () => store.write(chunksOf(content.subarray(0, MiB), content.subarray(MiB)))))
  const hash = sha256(content)
  assert.ok(results.every(result => result.hash === hash && result.size === content.byteLength))
  assert.deepEqual(await collect(store.read(hash)), content)
  assert.deepEqual((await filesIn(store.dir)).length, 1)
})

test('a partial download survives a reopen of the store and completes only with the right content', async (t) => {
  const dir = await tempDir(t)
  const content = Buffer.from('M104 S210\nM140 S60\nG28\n')
  const hash = sha256(content)
  const first = await BlobStore.open(dir)
  const partial = await first.openPartial(hash)
  await partial.append([content.subarray(0, 10)], { maxBytes: 1000 })
  await partial.close()
  assert.equal(await first.has(hash), false)

  const reopened = await BlobStore.open(dir)
  assert.equal(await reopened.partial(hash), 10)
  const resumed = await reopened.openPartial(hash)
  await assert.rejects(reopened.openPartial(hash), { name: 'BlobBusyError' })
  assert.equal(resumed.size, 10)
  await resumed.append([content.subarray(10)], { maxBytes: 1000 })
  await resumed.complete({ maxBytes: 1000 })
  assert.deepEqual(await collect(reopened.read(hash)), content)
  assert.equal(await reopened.partial(hash), 0)
})

test('a partial whose content fails its hash is not published', async (t) => {
  const store = await BlobStore.open(await tempDir(t))
  const content = Buffer.from('G1 X1 Y1\n')
  const hash = sha256(content)
  const partial = await store.openPartial(hash)
  await partial.append([Buffer.from('G1 X9 Y1\n')], { maxBytes: 1000 })
  await assert.rejects(partial.complete({ maxBytes: 1000 }), { name: 'BlobHashMismatchError' })
  await partial.restart()
  await partial.append([content], { maxBytes: 1000 })
  await partial.complete({ maxBytes: 1000 })
  assert.equal(await store.has(hash), true)
})

test('exportTo writes a writable copy for the user, replacing an older file, and refuses an unknown blob', async (t) => {
  const dir = await tempDir(t)
  const store = await BlobStore.open(join(dir, 'blobs'))
  const content = Buffer.from('solid part\nendsolid part\n')
  const { hash } = await store.write(chunksOf(content))
  const out = join(dir, 'part.stl')
  await writeFile(out, 'an older part')
  await store.exportTo(hash, out)
  assert.deepEqual(await readFile(out), content)
  assert.equal((await stat(out)).mode & 0o777, 0o644, 'the user may edit it; the blob itself stays read-only')
  assert.equal((await stat(out)).ino === (await stat(join(dir, 'blobs', hash.slice(0, 2), hash.slice(2)))).ino, false, 'a copy, not a link')
  await assert.rejects(store.exportTo(sha256(Buffer.from('never stored')), join(dir, 'other.stl')), { name: 'BlobNotFoundError' })
  assert.deepEqual((await readdir(dir)).sort(), ['blobs', 'part.stl'], 'no partial file left behind')
})
