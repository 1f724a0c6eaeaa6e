import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobDetail } from '../../../src/cli/job-view.js'
import { withDaemon } from '../../../src/cli/run-action.js'
import { jobEnded, startPeer, stopPeer, tempDir } from '../../market/mesh-fixture.js'
import { runNode } from '../../lan/run-node.js'
import { waitFor } from '../../lan/wait.js'
import { sampleGcode } from './printer-record.js'
import { withVirtualPrinter } from '../../printer/virtual-printer-peer.js'
import type { JobOptions } from '../../../src/jobs/job.js'
import type { NodeConfig } from '../../../src/config/node-config.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'

const BIN = join(import.meta.dirname, '../../../src/bin/meshnode.js')

const requester = (c: NodeConfig): void => { c.offers = [] }

async function queueOf (node: MeshNode): Promise<string[]> {
  const entries: Array<{ jobId: string }> = await withDaemon(node.config.dataDir, async c => c.call('queue'))
  return entries.map(e => e.jobId)
}

test('the print queue: printers take waiting prints by priority, then age; queue move and hold steer it; a restart keeps it', async (t) => {
  const dir = await tempDir(t, 'meshnode-queue-')
  const pi = await startPeer(t, dir, 'pi', withVirtualPrinter('p1', { speedUp: 20 }))
  const desk = await startPeer(t, dir, 'desk', requester)
  let laptop = await startPeer(t, dir, 'laptop', requester)
  const connect = async (): Promise<void> => {
    for (const peer of [pi, desk]) await laptop.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
    await waitFor(async () => laptop.capabilities.peers().some(p => p.name === 'pi'), { timeoutMs: 20_000, what: 'the laptop to see the printer' })
  }
  await desk.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await connect()

  let files = 0
  const gcode = async (text: string): Promise<string> => {
    const file = join(dir, `part-${++files}.gcode`)
    await writeFile(file, text)
    return file
  }
  const submit = async (node: MeshNode, file: string, options: Partial<JobOptions> = {}): Promise<string> => {
    const [job] = await node.jobs.submit({ files: [file], extra: [], pipeline: ['print'], options: { params: {}, ...options } })
    return job.id
  }
  /** A print from the desk that keeps the printer busy until cancelled. */
  const occupy = async (): Promise<string> => {
    const id = await submit(desk, await gcode(sampleGcode(1, 90).replace('G28 ; home', 'G28 ; home\nG4 S6000')))
    await waitFor(async () => (await desk.jobStore.get(id))?.stages[0].started === true, { timeoutMs: 60_000, what: 'the blocking print to start' })
    return id
  }
  const startOrder = async (ids: string[]): Promise<string[]> => {
    const ended = await Promise.all(ids.map(async id => jobEnded(laptop, id, 180_000)))
    for (const job of ended) assert.equal(job.state, 'done', jobDetail(job))
    return [...ended].sort((a, b) => (a.stages[0].startedAt ?? 0) - (b.stages[0].startedAt ?? 0)).map(j => j.id)
  }
  const sameQueueEverywhere = async (want: string[], what: string): Promise<void> => {
    for (const node of [laptop, pi, desk]) {
      await waitFor(async () => {
        const got = await queueOf(node)
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`it lists ${JSON.stringify(got)}, not ${JSON.stringify(want)}`)
        return true
      }, { timeoutMs: 60_000, intervalMs: 200, what: `${node.config.name} to list the queue ${what}` })
    }
  }

  await t.test('low, normal, high submitted while the printer is busy start high, normal, low, also after the requester restarts', async () => {
    const blocker = await occupy()
    const low = await submit(laptop, await gcode(sampleGcode(2, 1)), { priority: 'low' })
    const normal = await submit(laptop, await gcode(sampleGcode(2, 2)), { priority: 'normal' })
    const high = await submit(laptop, await gcode(sampleGcode(2, 3)), { priority: 'high' })
    await sameQueueEverywhere([high, normal, low], 'high, normal, low')
    const listing = await runNode([BIN, 'queue', '--data-dir', pi.config.dataDir], { timeoutMs: 60_000 }).done
    assert.equal(listing.code, 0, listing.stderr)
    assert.match(listing.stdout, new RegExp(`1\\. ${high}  part-4\\.gcode  any material  high  waiting \\d+ s  \\(from laptop\\)\\n\\s+could take it: pi/p1 \\(printing\\)`))

    await stopPeer(laptop)
    laptop = await startPeer(t, dir, 'laptop', requester)
    await connect()
    assert.deepEqual(await queueOf(laptop), [high, normal, low], 'the restarted requester orders its jobs as before')
    await desk.jobs.cancel(blocker)
    assert.deepEqual(await startOrder([low, normal, high]), [high, normal, low])
  })

  await t.test('"queue move --top" puts a low print first, and a held print waits until released', async () => {
    const blocker = await occupy()
    const a = await submit(laptop, await gcode(sampleGcode(2, 4)))
    const b = await submit(laptop, await gcode(sampleGcode(2, 5)), { priority: 'high' })
    const c = await submit(laptop, await gcode(sampleGcode(2, 6)), { priority: 'low' })
    await sameQueueEverywhere([b, a, c], 'high, normal, low')
    const moved = await runNode([BIN, 'queue', 'move', c, '--top', '--data-dir', laptop.config.dataDir], { timeoutMs: 60_000 }).done
    assert.equal(moved.code, 0, moved.stderr)
    await withDaemon(laptop.config.dataDir, async client => client.call('queue.hold', { id: b }))
    await sameQueueEverywhere([c, b, a], 'with c moved to the top (and b held in its place)')
    await desk.jobs.cancel(blocker)
    assert.deepEqual(await startOrder([a, c]), [c, a])
    const held = await laptop.jobStore.get(b)
    assert.equal(held?.stages[0].started, undefined, `the held print has not started: ${jobDetail(held as any)}`)
    await withDaemon(laptop.config.dataDir, async client => client.call('queue.release', { id: b }))
    assert.equal((await jobEnded(laptop, b, 120_000)).state, 'done')
  })
})
