import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobDetail } from '../../../src/cli/job-view.js'
import { JOBS_TOPIC } from '../../../src/market/constants.js'
import { TERMINAL_JOB_STATES, type JobRecord } from '../../../src/jobs/job.js'
import { startPeer, tempDir } from '../../market/mesh-fixture.js'
import { waitFor } from '../../lan/wait.js'
import { assertRecordHolds, gcodeCommands, readRecord, sampleGcode } from './printer-record.js'
import { withVirtualPrinter } from '../../printer/virtual-printer-peer.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'

async function writeParts (dir: string, count: number): Promise<Array<{ label: string, file: string, commands: string[] }>> {
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const text = sampleGcode(6, i + 1)
    const file = join(dir, `part-${i + 1}.gcode`)
    await writeFile(file, text)
    return { label: `part-${i + 1}.gcode`, file, commands: gcodeCommands(text) }
  }))
}

/** The job once it has ended; a print taken as interrupted before it started is stuck for good, and fails the test at once. */
async function printEnded (node: MeshNode, id: string): Promise<JobRecord> {
  return waitFor(async () => {
    const record = await node.jobStore.get(id) as JobRecord
    assert.notEqual(record.stages[0].state, 'interrupted', `job ${id} is stuck as interrupted:\n${jobDetail(record)}`)
    return TERMINAL_JOB_STATES.includes(record.state) && record
  }, { timeoutMs: 60_000, intervalMs: 50, what: `job ${id} to end`, failFast: (err) => err instanceof assert.AssertionError })
}

async function listsPrinters (node: MeshNode, count: number): Promise<void> {
  await waitFor(async () => node.capabilities.peers().filter(p => p.record.offers.includes('print')).length === count,
    { timeoutMs: 10_000, intervalMs: 50, what: `${node.config.name} to see ${count} printer peers` })
}

test('two prints submitted at the same moment to one printer: both are printed, one after the other, and the refusal of the second is shown', async (t) => {
  const dir = await tempDir(t, 'meshnode-two-prints-')
  const recordFile = join(dir, 'vp.record.gcode')
  const pi = await startPeer(t, dir, 'pi', withVirtualPrinter('vp', { recordFile }))
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  await laptop.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await listsPrinters(laptop, 1)

  const parts = await writeParts(dir, 2)
  const jobs = await laptop.jobs.submit({ files: parts.map(p => p.file), extra: [], pipeline: ['print'], options: { params: {} } })
  assert.equal(jobs.length, 2)

  const ended = await Promise.all(jobs.map(async job => printEnded(laptop, job.id)))
  for (const job of ended) {
    assert.equal(job.state, 'done', `job ${job.id} printed: ${job.error ?? job.stages[0].error ?? ''}\n${jobDetail(job)}`)
    assert.equal(job.stages[0].peerId, pi.libp2p.peerId.toString())
  }
  // Whichever came first, each part was printed once, whole, and never interleaved with the other.
  const order = ended[0].stages[0].finishedAt as number < (ended[1].stages[0].finishedAt as number) ? [parts[0], parts[1]] : [parts[1], parts[0]]
  assertRecordHolds(readRecord(recordFile), order)

  // The print that had to wait says why in `meshnode job ID`: the printer was taken by the other job.
  const views = await Promise.all(ended.map(async job => jobDetail({ ...job, events: await laptop.jobStore.events(job.id) })))
  const taken = (i: number): RegExp => new RegExp(`printer vp is (reserved for|busy with) job ${ended[1 - i].id}`)
  assert.ok(views.some((view, i) => taken(i).test(view)), `one job shows the printer taken by the other:\n${views.join('\n')}`)
})

test('an award declined at the printer, for a print ahead in the queue it could take instead: the job shows why, bids again and prints', async (t) => {
  const dir = await tempDir(t, 'meshnode-declined-print-')
  const recordFile = join(dir, 'vp.record.gcode')
  // A bid holds the printer for two of its node's bid windows: 40 ms here.
  const pi = await startPeer(t, dir, 'pi', c => { withVirtualPrinter('vp', { recordFile })(c); c.market.bidWindowMs = 20 })
  // A printer peer that never answers keeps the laptop's rounds open for their whole window, so an award
  // comes well after the bid it answers.
  const silent = await startPeer(t, dir, 'silent', withVirtualPrinter('other', { recordFile: join(dir, 'other.record.gcode') }))
  silent.libp2p.services.pubsub.unsubscribe(JOBS_TOPIC)
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = []; c.market.bidWindowMs = 1500 })
  await laptop.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await laptop.libp2p.dial(silent.libp2p.getMultiaddrs()[0])
  await listsPrinters(laptop, 2)

  // Both bids find vp free (the first one's hold has lapsed by the second, which is ahead of it in the print
  // queue); when the first award comes, the printer keeps itself for the second, which prints first.
  const [first, second] = await writeParts(dir, 2)
  const [refused] = await laptop.jobs.submit({ files: [first.file], extra: [], pipeline: ['print'], options: { params: {} } })
  await new Promise(resolve => setTimeout(resolve, 300))
  const [held] = await laptop.jobs.submit({ files: [second.file], extra: [], pipeline: ['print'], options: { params: {}, priority: 'high' } })

  const [heldDone, refusedDone] = await Promise.all([printEnded(laptop, held.id), printEnded(laptop, refused.id)])
  assert.equal(heldDone.state, 'done', jobDetail(heldDone))
  assert.equal(refusedDone.state, 'done', jobDetail(refusedDone))
  assertRecordHolds(readRecord(recordFile), [second, first])

  const stage = refusedDone.stages[0]
  assert.ok(stage.attempt >= 2, `the declined award sent the stage back to bidding (attempt ${stage.attempt})`)
  const declined = stage.bids.find(b => b.attempt === 1 && b.peerId === pi.libp2p.peerId.toString())
  assert.equal(declined?.accept, false, `pi's first bid shows the declined award: ${JSON.stringify(stage.bids)}`)
  assert.match(declined.reason, new RegExp(`^declined the award: keeps its printer for job ${held.id}, ahead in the print queue`))
  const view = jobDetail({ ...refusedDone, events: await laptop.jobStore.events(refused.id) })
  assert.match(view, new RegExp(`bid     pi: refuses: declined the award: keeps its printer for job ${held.id}, ahead in the print queue`), view)
})

test('an award declined because the printer was taken since the bid: the job shows why, bids again and prints later, once', async (t) => {
  const dir = await tempDir(t, 'meshnode-taken-print-')
  const recordFile = join(dir, 'vp.record.gcode')
  // A bid holds the printer for two of its node's bid windows: 40 ms here.
  const pi = await startPeer(t, dir, 'pi', c => { withVirtualPrinter('vp', { recordFile })(c); c.market.bidWindowMs = 20 })
  // A printer peer that never answers keeps the laptop's rounds open for their whole window: its award of the
  // first print comes seconds after pi's bid for it.
  const silentRecord = join(dir, 'other.record.gcode')
  const silent = await startPeer(t, dir, 'silent', withVirtualPrinter('other', { recordFile: silentRecord }))
  silent.libp2p.services.pubsub.unsubscribe(JOBS_TOPIC)
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = []; c.market.bidWindowMs = 5000 })
  // A second requester, whose rounds close as soon as pi answers.
  const desk = await startPeer(t, dir, 'desk', c => { c.offers = []; c.market.bidWindowMs = 200 })
  await laptop.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await laptop.libp2p.dial(silent.libp2p.getMultiaddrs()[0])
  await desk.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await listsPrinters(laptop, 2)
  await listsPrinters(desk, 1)

  const [first] = await writeParts(dir, 1)
  const longText = sampleGcode(2, 9).replace('G28 ; home', 'G28 ; home\nG4 S200')
  const long = { label: 'long.gcode', file: join(dir, 'long.gcode'), commands: gcodeCommands(longText) }
  await writeFile(long.file, longText)

  const [waiting] = await laptop.jobs.submit({ files: [first.file], extra: [], pipeline: ['print'], options: { params: {} } })
  // pi bids as the announcement reaches it, which is when it lists the print in its queue.
  await waitFor(() => pi.waitingPrints.list().some(spec => spec.jobId === waiting.id), { timeoutMs: 20_000, intervalMs: 20, what: 'pi to hear of the first print' })
  // Past that bid's hold, the desk's print (high, so the queue puts it first) takes the printer.
  await new Promise(resolve => setTimeout(resolve, 300))
  const [taker] = await desk.jobs.submit({ files: [long.file], extra: [], pipeline: ['print'], options: { params: {}, priority: 'high' } })
  await waitFor(async () => (await desk.jobStore.get(taker.id))?.stages[0].started === true, { timeoutMs: 20_000, intervalMs: 20, what: 'the desk\'s print to start' })
  const before = await laptop.jobStore.get(waiting.id) as JobRecord
  assert.deepEqual([before.stages[0].attempt, before.stages[0].peerId], [1, undefined], `the laptop's round for its print was still open when the printer was taken:\n${jobDetail(before)}`)

  const [takerDone, waitingDone] = await Promise.all([printEnded(desk, taker.id), printEnded(laptop, waiting.id)])
  assert.equal(takerDone.state, 'done', jobDetail(takerDone))
  assert.equal(waitingDone.state, 'done', jobDetail(waitingDone))
  assert.equal(waitingDone.stages[0].peerId, pi.libp2p.peerId.toString())
  // Nothing lost, nothing printed twice: each print whole, once, the one that took the printer first.
  assertRecordHolds(readRecord(recordFile), [long, first])
  assert.ok(readRecord(silentRecord).every(line => /^(M110 N0|M115|M155 S\d+|M105)$/.test(line)), 'the silent printer printed nothing')

  const stage = waitingDone.stages[0]
  assert.ok(stage.attempt >= 2, `the declined award sent the stage back to bidding (attempt ${stage.attempt})`)
  const declined = stage.bids.find(b => b.attempt === 1 && b.peerId === pi.libp2p.peerId.toString())
  assert.equal(declined?.accept, false, `pi's first bid shows the declined award: ${JSON.stringify(stage.bids)}`)
  const taken = `declined the award: printer vp is (busy with|reserved for) job ${taker.id}`
  assert.match(declined.reason, new RegExp(`^${taken}$`))
  const view = jobDetail({ ...waitingDone, events: await laptop.jobStore.events(waiting.id) })
  assert.match(view, new RegExp(`bid     pi: refuses: ${taken}`), view)
  assert.match(view, new RegExp(`pi declined: printer vp is (busy with|reserved for) job ${taker.id}: bidding again`), view)
})
