import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { freeDiskBytes } from '../../src/compute/bid-strategies.js'
import { waitFor } from '../lan/wait.js'
import { jobEnded, slowService, startPeer, tempDir } from './mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'

const MiB = 1024 * 1024

test('a peer whose disk is below its floor refuses the stage, saying what is free and what it keeps; with room again it runs it', async (t) => {
  const dir = await tempDir(t, 'meshnode-disk-floor-')
  const copy = await slowService(dir, 0)
  // A floor a GiB above what this disk has free: the peer reads its real free space and finds it too low.
  const floor = Math.ceil((await freeDiskBytes(dir)) / MiB) * MiB + 1024 * MiB
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [copy]; c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [copy]; c.market.minFreeDiskBytes = floor })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('slow')), { timeoutMs: 10_000, what: 'the requester to see the executor' })

  const input = join(dir, 'part.txt')
  await writeFile(input, 'x'.repeat(3 * MiB))
  const [job] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  const executorId = executor.libp2p.peerId.toString()
  const refused = await waitFor(async () => {
    const record = await requester.jobStore.get(job.id) as JobRecord
    return record.stages[0].bids.find(b => b.peerId === executorId && !b.accept)
  }, { timeoutMs: 10_000, intervalMs: 50, what: 'the executor to refuse the stage' })
  const match = /^low on disk: (\d+) MiB free, keeps (\d+) MiB free plus twice the input \(3 MiB\)$/.exec(refused.reason)
  assert.ok(match != null, `the refusal says how much is free and the floor: ${refused.reason}`)
  assert.ok(Math.abs(Number(match[1]) * MiB - await freeDiskBytes(dir)) < 256 * MiB, `${match[1]} MiB is what the disk has free`)
  assert.equal(Number(match[2]) * MiB, floor)
  assert.equal(refused.busy, true, 'a refusal for now')
  assert.equal((await requester.jobStore.get(job.id) as JobRecord).state, 'running', 'the job waits for room rather than failing')

  // The operator lowers the floor (as after freeing space): the stage is asked again and runs.
  await executor.reload({ ...executor.config, market: { ...executor.config.market, minFreeDiskBytes: 0 } })
  const done = await jobEnded(requester, job.id)
  assert.equal(done.state, 'done', done.error)
  assert.equal(done.stages[0].peerId, executorId)
})
