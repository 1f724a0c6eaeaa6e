import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import { BlobStore } from '../../src/blobs/index.js'
import { skipOutsideCi } from '../skip-reason.js'
import { chunksOf, MiB, sha256 } from './fixtures.js'
import type { TestContext } from 'node:test'

/**
 * A 2 MiB tmpfs, so the disk really fills up; needs root, as the test machines and CI run. Where it
 * cannot be mounted the test is marked skipped, so the gap shows (in CI it fails).
 */
async function tinyDisk (t: TestContext): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-blobs-disk-'))
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { reject: false })
  t.after(async () => {
    if (mounted.exitCode === 0) await execa('umount', [dir])
    await rm(dir, { recursive: true, force: true })
  })
  if (mounted.exitCode === 0) return dir
  skipOutsideCi(t, 'cannot mount a small tmpfs here (needs root): the disk-full path is untested on this machine')
  return undefined
}

test('a write that fills the disk fails with BlobStoreFullError and leaves no blob or temp file', async (t) => {
  const disk = await tinyDisk(t)
  if (disk == null) return
  const store = await BlobStore.open(disk)
  const content = Buffer.alloc(3 * MiB, 1)
  const quarters = [0, 1, 2, 3].map(i => content.subarray(i * content.byteLength / 4, (i + 1) * content.byteLength / 4))
  await assert.rejects(store.write(chunksOf(...quarters)), { name: 'BlobStoreFullError' })
  assert.equal(await store.has(sha256(content)), false)
  assert.deepEqual(await readdir(join(disk, 'tmp')), [])

  // The space is back: a blob that fits is stored normally afterwards.
  const small = Buffer.alloc(MiB / 2, 2)
  assert.equal((await store.write(chunksOf(small))).hash, sha256(small))
})

test('a download that fills the disk fails with BlobStoreFullError and keeps no partial', async (t) => {
  const disk = await tinyDisk(t)
  if (disk == null) return
  const store = await BlobStore.open(disk)
  const content = Buffer.alloc(3 * MiB, 3)
  const hash = sha256(content)
  const partial = await store.openPartial(hash)
  const limits = { maxBytes: 8 * MiB }
  const download = async (): Promise<void> => {
    for (let at = 0; at < content.byteLength; at += MiB / 4) await partial.append([content.subarray(at, at + MiB / 4)], limits)
    await partial.complete(limits)
  }
  await assert.rejects(download(), { name: 'BlobStoreFullError' })
  assert.equal(await store.partial(hash), 0)
  assert.equal(await store.has(hash), false)
})
