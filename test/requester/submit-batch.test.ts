import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

/** `count` distinct designs part-0.scad, part-1.scad, ... in `dir`. */
async function writeParts (dir: string, count: number): Promise<string[]> {
  const files = Array.from({ length: count }, (_, i) => join(dir, `part-${i}.scad`))
  await Promise.all(files.map(async (file, i) => writeFile(file, `cube(${i + 1});\n`)))
  return files
}

test('a batch keeps its files\' order, and one file that cannot be read creates no job at all', async (t) => {
  const dir = await tempDir(t, 'meshnode-batch-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = []; c.blobs.maxBlobBytes = 64 * 1024 })
  const files = await writeParts(dir, 30)
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

test('a job that cannot be written fails the submit with a count, and the jobs that were written still start', async (t) => {
  const dir = await tempDir(t, 'meshnode-batch-write-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const files = await writeParts(dir, 5)
  const create = requester.jobStore.create.bind(requester.jobStore)
  requester.jobStore.create = async (job, event) => {
    if (job.input.name === 'part-3.scad') throw new Error('the database refused the write')
    await create(job, event)
  }
  await assert.rejects(requester.jobs.submit({ files, extra: [], pipeline: ['scad'], options: { params: {} } }),
    /^Error: 4 of 5 jobs were stored and started; storing the others failed: the database refused the write$/)
  const stored = await requester.jobStore.list()
  assert.deepEqual(stored.map(j => j.input.name).sort(), ['part-0.scad', 'part-1.scad', 'part-2.scad', 'part-4.scad'])
  await waitFor(async () => (await Promise.all(stored.map(async j => requester.jobStore.get(j.id)))).every(j => j?.stages[0].state !== 'pending'),
    { timeoutMs: 10_000, intervalMs: 50, what: 'every stored job to start bidding' })
})

test('a batch half stored, sent again under its request id, makes only the missing jobs and answers with all of them in order', async (t) => {
  const dir = await tempDir(t, 'meshnode-batch-retry-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const files = await writeParts(dir, 5)
  const request = { files, extra: [], pipeline: ['scad'], options: { params: {} }, requestId: 'batch-0123456789abcdef' }
  const create = requester.jobStore.create.bind(requester.jobStore)
  let broken = true
  requester.jobStore.create = async (job, event, origin) => {
    if (broken && job.input.name === 'part-3.scad') throw new Error('the daemon died here')
    await create(job, event, origin)
  }
  await assert.rejects(requester.jobs.submit(request), /4 of 5 jobs were stored/)
  const before = new Map((await requester.jobStore.list()).map(j => [j.input.name, j.id]))
  assert.equal(before.size, 4)

  broken = false
  const jobs = await requester.jobs.submit(request)
  assert.deepEqual(jobs.map(j => j.input.name), files.map((_, i) => `part-${i}.scad`))
  for (const job of jobs) if (job.input.name !== 'part-3.scad') assert.equal(job.id, before.get(job.input.name), `${job.input.name} keeps its job`)
  assert.equal((await requester.jobStore.list()).length, 5, 'one job per file')
  assert.deepEqual((await requester.jobs.submit(request)).map(j => j.id), jobs.map(j => j.id), 'a third attempt changes nothing')
  await assert.rejects(requester.jobs.submit({ ...request, files: files.slice(1) }), { name: 'RequestIdReusedError' })
})
