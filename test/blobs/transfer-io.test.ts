import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { BlobFileReader, READ_CHUNK_BYTES } from '../../src/blobs/blob-reader.js'
import { writeAll } from '../../src/blobs/disk.js'
import { TransferIo } from '../../src/blobs/transfer-io.js'
import { MiB, tempDir } from './fixtures.js'

async function collect (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const all: Uint8Array[] = []
  for await (const chunk of chunks) all.push(chunk)
  return all
}

for (const [mode, limits] of [['on the event loop', { slowMs: 1000, budgetMs: 1000 }], ['through the thread pool once slow calls used the budget', { slowMs: -1, budgetMs: -1 }]] as const) {
  test(`TransferIo writes and reads at any position, and says where it writes, ${mode}`, async (t) => {
    const path = join(await tempDir(t), 'file')
    const handle = await open(path, 'w+')
    t.after(async () => { await handle.close() })
    const io = new TransferIo(handle, limits)
    const first = randomBytes(3000)
    const second = [randomBytes(10), new Uint8Array(0), randomBytes(70_000)]
    assert.equal(io.writeOnLoop([first], 0), true, 'the first call runs on the loop')
    const onLoop = io.writeOnLoop(second, first.byteLength)
    assert.equal(onLoop, limits.budgetMs > 0, 'slow calls past the budget move the rest to the thread pool')
    if (!onLoop) await writeAll(handle, second, first.byteLength)
    const whole = Buffer.concat([first, ...second])
    assert.deepEqual(await readFile(path), whole)
    assert.deepEqual(await io.read(100, 2950), whole.subarray(2950, 3050))
    assert.deepEqual(await io.read(1000, whole.byteLength - 10), whole.subarray(whole.byteLength - 10), 'short at the end of the file')
    assert.equal((await io.read(10, whole.byteLength)).byteLength, 0, 'empty past the end')
  })
}

test('a blob reader yields the content from its offset in chunks of their own, then closes the file', async (t) => {
  const path = join(await tempDir(t), 'blob')
  const content = randomBytes(2 * MiB + 123)
  await writeFile(path, content)
  const handle = await open(path, 'r')
  const reader = new BlobFileReader(handle, content.byteLength, 7)
  const chunks = await collect(reader.chunks)
  assert.deepEqual(Buffer.concat(chunks), content.subarray(7))
  assert.ok(chunks.every(chunk => chunk.byteLength <= READ_CHUNK_BYTES))
  assert.equal(new Set(chunks.map(chunk => chunk.buffer)).size, chunks.length, 'no two chunks share a buffer')
  assert.equal(handle.fd, -1, 'the file is closed at the end')
})

test('a blob reader closed before it is read releases its file', async (t) => {
  const path = join(await tempDir(t), 'blob')
  await writeFile(path, randomBytes(1000))
  const handle = await open(path, 'r')
  const reader = new BlobFileReader(handle, 1000, 0)
  reader.close()
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(handle.fd, -1)
})
