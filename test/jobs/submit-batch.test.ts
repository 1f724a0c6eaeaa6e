import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { startPeer, tempDir } from '../market/mesh-fixture.js'

test('a batch keeps its files\' order, and one file that cannot be read creates no job at all', async (t) => {
  const dir = await tempDir(t, 'meshnode-batch-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = []; c.blobs.maxBlobBytes = 64 * 1024 })
  const files: string[] = []
  for (let i = 0; i < 30; i++) {
    files.push(join(dir, `part-${i}.scad`))
    await writeFile(files[i], `cube(${i + 1});\n`)
  }
  const unreadable = join(dir, 'folder.scad')
  await mkdir(unreadable)

  await assert.rejects(requester.jobs.submit({ files: [...files.slice(0, 20), unreadable, ...files.slice(20)], extra: [], pipeline: ['scad'], options: { params: {} } }), (err: Error) => err.message.startsWith(`cannot submit ${unreadable}: `))
  assert.deepEqual(await requester.jobStore.list(), [], 'the files before the bad one were made into jobs')
  // A file over the blob limit is named as well.
  const big = join(dir, 'big.scad')
  await writeFile(big, Buffer.alloc(requester.blobStore.maxBlobBytes + 1, 0x20))
  await assert.rejects(requester.jobs.submit({ files: [files[0], big], extra: [], pipeline: ['scad'], options: { params: {} } }), (err: Error) => err.message.startsWith(`cannot submit ${big}: `) && err.message.includes('limit'))
  assert.deepEqual(await requester.jobStore.list(), [])

  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['scad'], options: { params: {} } })
  assert.deepEqual(jobs.map(j => j.input.name), files.map((_, i) => `part-${i}.scad`))
  assert.equal(new Set(jobs.map(j => j.input.hash)).size, 30)
  assert.equal((await requester.jobStore.list()).length, 30)
})
