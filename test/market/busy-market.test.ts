import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, tempDir } from './mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

const JOBS = 60
/** Stages a requester announces at once (the coordinator's limit): the first burst goes out before any answer. */
const FIRST_BURST = 24

test('a batch larger than the peer\'s queue: the peer takes no more than it queues, stages found busy wait for a freed slot, and each later stage is announced once', async (t) => {
  const dir = await tempDir(t, 'meshnode-busy-')
  const slow = await slowService(dir, 0.05)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [slow]; c.market.maxConcurrent = 1 })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('slow')), { timeoutMs: 10_000, what: 'the requester to see the executor' })

  // Each announcement the executor hears asks it for a bid.
  const announced = new Map<string, number>()
  const bid = executor.work.bid.bind(executor.work)
  executor.work.bid = async spec => {
    announced.set(spec.jobId, (announced.get(spec.jobId) ?? 0) + 1)
    return await bid(spec)
  }

  const files: string[] = []
  for (let i = 0; i < JOBS; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  let deepest = 0
  const sampler = setInterval(() => {
    const { queued, running } = executor.work.load()
    deepest = Math.max(deepest, queued + running)
  }, 2)
  t.after(() => { clearInterval(sampler) })
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['slow'], options: { params: {} } })
  for (const job of jobs) assert.equal((await jobEnded(requester, job.id, 120_000)).state, 'done')
  clearInterval(sampler)
  // Bids for the first burst are made side by side; each must count the ones before it.
  assert.ok(deepest <= 4, `the executor held ${deepest} stages at once, more than the 4 it queues per slot`)

  // So most of the batch is refused at first: stages of the first burst may each be refused once, and a stage
  // after it waits without asking while the queue is known to be full.
  const total = [...announced.values()].reduce((sum, n) => sum + n, 0)
  const askedAgain = [...announced.values()].filter(n => n > 1).length
  assert.ok(total <= JOBS + FIRST_BURST + 4, `${total} announcements for ${JOBS} stages (${askedAgain} stages announced more than once)`)

  const last = jobs[jobs.length - 1]
  const why = (await requester.jobStore.events(last.id)).find(e => e.type === 'waiting')?.message
  assert.match(why ?? '', /waiting for a peer to take slow: .*executor: queue full \(4 stages\)/, 'a stage that waited without asking still says which peer was busy and why')
})
