import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, stopPeer, tempDir, unsandboxed } from './mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import type { StoredBlob } from '../../src/blobs/blob-store.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

const JOBS = 3

test('an executor stopped and started again mid-batch runs its stages under the same awards, as after a crash', async (t) => {
  const dir = await tempDir(t, 'meshnode-restart-')
  const slow = await slowService(dir, 0.5)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  const executorConfig = (c: Parameters<NonNullable<Parameters<typeof startPeer>[3]>>[0]): void => { c.services = [slow]; c.market.maxConcurrent = 1; unsandboxed(c) }
  const meet = async (executor: MeshNode): Promise<void> => {
    await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
    await waitFor(async () => requester.capabilities.peers().some(p => p.peerId === executor.libp2p.peerId.toString() && p.record.offers.includes('slow')), { timeoutMs: 10_000, what: 'the requester to see the executor' })
  }
  const first = await startPeer(t, dir, 'executor', executorConfig)
  await meet(first)

  const files: string[] = []
  for (let i = 0; i < JOBS; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['slow'], options: { params: {} } })
  // Every stage awarded, the first one's tool running: the stop kills it.
  await waitFor(async () => (await Promise.all(jobs.map(async j => requester.jobStore.get(j.id)))).every(j => j?.stages[0].state === 'running'), { timeoutMs: 15_000, intervalMs: 20, what: 'every stage to be awarded' })
  await waitFor(async () => (await readFile(join(dir, 'slow.runs'), 'utf8').catch(() => '')).length > 0, { timeoutMs: 15_000, intervalMs: 20, what: 'the first tool to start' })
  await stopPeer(first)
  await meet(await startPeer(t, dir, 'executor', executorConfig))

  for (const job of jobs) {
    const ended = await jobEnded(requester, job.id, 60_000)
    assert.equal(ended.state, 'done', ended.error)
    const events = await requester.jobStore.events(job.id)
    assert.deepEqual(events.filter(e => e.type === 'retry').map(e => e.message), [], `${job.id} was awarded again`)
    assert.equal(ended.stages[0].token, 1, `${job.id} ran under a later award`)
  }
})

test('an executor stopped while it keeps a finished stage\'s output writes that stage down and never runs its tool again', async (t) => {
  const dir = await tempDir(t, 'meshnode-restart-')
  const slow = await slowService(dir, 0.1)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  const executorConfig = (c: Parameters<NonNullable<Parameters<typeof startPeer>[3]>>[0]): void => { c.services = [slow]; unsandboxed(c) }
  const meet = async (executor: MeshNode): Promise<void> => {
    await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
    await waitFor(async () => requester.capabilities.peers().some(p => p.peerId === executor.libp2p.peerId.toString() && p.record.offers.includes('slow')), { timeoutMs: 10_000, what: 'the requester to see the executor' })
  }
  const first = await startPeer(t, dir, 'executor', executorConfig)
  await meet(first)
  // The stop arrives after the tool has ended, while its output is being kept. That import is held until the
  // node has closed its database, or for a second, whichever comes first.
  let entered = (): void => {}
  const inImport = new Promise<void>(resolve => { entered = resolve })
  const importFile = first.blobStore.importFile.bind(first.blobStore)
  first.blobStore.importFile = async (path: string): Promise<StoredBlob> => {
    entered()
    const since = Date.now()
    await waitFor(async () => first.db.status === 'closed' || Date.now() - since > 1000, { timeoutMs: 5000, intervalMs: 5, what: 'the stop to go on' })
    return importFile(path)
  }

  const file = join(dir, 'part.txt')
  await writeFile(file, 'part\n')
  const [job] = await requester.jobs.submit({ files: [file], extra: [], pipeline: ['slow'], options: { params: {} } })
  await inImport
  await stopPeer(first)
  await meet(await startPeer(t, dir, 'executor', executorConfig))

  const ended = await jobEnded(requester, job.id, 30_000)
  assert.equal(ended.state, 'done', ended.error)
  assert.equal((await readFile(join(dir, 'slow.runs'), 'utf8')).trim().split('\n').length, 1, 'the tool ran again after the restart')
  assert.equal(ended.stages[0].token, 1, 'the stage ran under a later award')
})
