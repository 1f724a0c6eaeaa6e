import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobDetail } from '../../../src/cli/job-view.js'
import { withDaemon } from '../../../src/cli/run-action.js'
import { jobEnded, startPeer, tempDir } from '../../market/mesh-fixture.js'
import { waitFor } from '../../lan/wait.js'
import { sampleGcode } from './printer-record.js'
import { withVirtualPrinter } from '../../printer/virtual-printer-peer.js'
import type { JobRecord } from '../../../src/jobs/job.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'

type ShownJob = JobRecord & { copyJobs?: JobRecord[], events: Array<{ type: string, message: string, at: number }> }

async function shown (node: MeshNode, id: string): Promise<ShownJob> {
  return await withDaemon(node.config.dataDir, async c => c.call('job', { id }))
}

test('copies: one render, one slice, and the prints spread over every printer that fits', async (t) => {
  const dir = await tempDir(t, 'meshnode-copies-')
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const workshop = await startPeer(t, dir, 'workshop', c => {
    c.offers = ['scad', 'slice']
    Object.assign(c.tools, { curaEngine: false, slic3r: false })
  })
  const pis: MeshNode[] = []
  for (let i = 1; i <= 3; i++) pis.push(await startPeer(t, dir, `pi-${i}`, withVirtualPrinter(`p${i}`, { speedUp: 20 })))
  for (const peer of [workshop, ...pis]) await laptop.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  for (const pi of pis) await pi.libp2p.dial(workshop.libp2p.getMultiaddrs()[0])
  await waitFor(async () => laptop.capabilities.peers().filter(p => p.record.offers.includes('print')).length === 3, { timeoutMs: 20_000, what: 'the laptop to see three printer peers' })

  await t.test('scad,slice,print --copies 6 over three printers: six prints on all three, of the one G-code', async () => {
    const design = join(dir, 'peg.scad')
    await writeFile(design, 'cylinder(h = 6, d = 8);\n')
    const [submitted] = await laptop.jobs.submit({ files: [design], extra: [], pipeline: ['scad', 'slice', 'print'], options: { params: {}, copies: 6 } })
    const job = await jobEnded(laptop, submitted.id, 300_000)
    const view = await shown(laptop, job.id)
    const detail = jobDetail(view)
    assert.equal(job.state, 'done', detail)
    assert.deepEqual(job.stages.map(s => [s.kind, s.state, s.attempt]), [['scad', 'done', 1], ['slice', 'done', 1]], 'one render and one slice')
    const gcode = job.stages[1].output?.hash
    const copies = view.copyJobs ?? []
    assert.equal(copies.length, 6, detail)
    for (const copy of copies) {
      assert.equal(copy.state, 'done', jobDetail(copy))
      assert.deepEqual(copy.stages.map(s => s.kind), ['print'])
      assert.equal(copy.stages[0].input?.hash, gcode, 'every copy prints the one G-code')
    }
    const perPeer = new Map<string, number>()
    for (const copy of copies) perPeer.set(copy.stages[0].peerName ?? '?', (perPeer.get(copy.stages[0].peerName ?? '?') ?? 0) + 1)
    assert.deepEqual([...perPeer.keys()].sort(), ['pi-1', 'pi-2', 'pi-3'], `every printer printed: ${JSON.stringify([...perPeer])}`)
    for (let i = 1; i <= 6; i++) assert.match(detail, new RegExp(`copy ${i} +${job.id}-${i} done on pi-[1-3] \\(printer p[1-3] virtual\\)`), '"meshnode job" shows each copy\'s printer and state')
    assert.equal(view.events.filter(e => e.type === 'stage-done').length, 2, 'the job itself ran two stages')
  })

  await t.test('cancelling a job cancels the copies that have not started; those printing print on', async () => {
    // A dwell makes each print last a while, so copies beyond the three printers are still waiting when cancelled.
    const file = join(dir, 'slow.gcode')
    await writeFile(file, sampleGcode(2, 1).replace('G28 ; home', 'G28 ; home\nG4 S60'))
    const [submitted] = await laptop.jobs.submit({ files: [file], extra: [], pipeline: ['print'], options: { params: {}, copies: 5 } })
    const started = async (): Promise<JobRecord[]> => (await shown(laptop, submitted.id)).copyJobs?.filter(c => c.stages[0].started === true) ?? []
    await waitFor(async () => (await started()).length === 3, { timeoutMs: 120_000, intervalMs: 100, what: 'three copies printing' })
    await laptop.jobs.cancel(submitted.id)
    const view = await shown(laptop, submitted.id)
    assert.equal(view.state, 'cancelled')
    const waiting = (view.copyJobs ?? []).filter(c => c.stages[0].started !== true)
    assert.ok(waiting.length >= 1, jobDetail(view))
    for (const copy of waiting) assert.equal(copy.state, 'cancelled', `a copy that had not started is cancelled: ${jobDetail(copy)}`)
    for (const copy of (view.copyJobs ?? []).filter(c => c.stages[0].started === true)) {
      const ended = await jobEnded(laptop, copy.id, 120_000)
      assert.equal(ended.state, 'done', `a copy that had started prints on: ${jobDetail(ended)}`)
    }
  })
})
