import assert from 'node:assert/strict'
import { test } from 'node:test'
import { writeAll } from '../../src/blobs/disk.js'
import type { FileHandle } from 'node:fs/promises'

/** A file that takes at most `most` bytes per writev, as a kernel may; records what landed where. */
function stingyFile (most: number): { handle: FileHandle, bytes: Map<number, number> } {
  const bytes = new Map<number, number>()
  let offset = 0
  const handle = {
    async writev (pieces: Uint8Array[], position?: number) {
      const taken = Buffer.concat(pieces).subarray(0, most)
      const at = position ?? offset
      taken.forEach((byte, i) => bytes.set(at + i, byte))
      if (position == null) offset += taken.byteLength
      return { bytesWritten: taken.byteLength, buffers: pieces }
    }
  }
  return { handle: handle as unknown as FileHandle, bytes }
}

const pieces = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4, 5, 6, 7, 8, 9), Uint8Array.of(10)]

test('writeAll writes every piece in order when the kernel takes a few bytes per call', async () => {
  const file = stingyFile(4)
  await writeAll(file.handle, pieces)
  assert.deepEqual([...file.bytes.entries()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((byte, i) => [i, byte]))
})

test('writeAll at a position keeps to it across short writes', async () => {
  const file = stingyFile(3)
  await writeAll(file.handle, pieces, 100)
  assert.deepEqual([...file.bytes.entries()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((byte, i) => [100 + i, byte]))
})
