import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, tempDir } from './mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

const EXECUTORS = 3

test('a burst of stages on idle peers runs on all of them at once, not queued on the one that bid first', async (t) => {
  const dir = await tempDir(t, 'meshnode-burst-')
  const slow = await slowService(dir, 1)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  for (let i = 0; i < EXECUTORS; i++) {
    const executor = await startPeer(t, dir, `executor-${i}`, c => { c.services = [slow]; c.market.maxConcurrent = 1 })
    await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  }
  await waitFor(async () => requester.capabilities.peers().filter(p => p.record.offers.includes('slow')).length === EXECUTORS, { timeoutMs: 10_000, what: 'the requester to see every executor' })

  const files: string[] = []
  for (let i = 0; i < EXECUTORS; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['slow'], options: { params: {} } })
  const stages = []
  for (const job of jobs) {
    const ended = await jobEnded(requester, job.id, 30_000)
    assert.equal(ended.state, 'done', ended.error)
    stages.push(ended.stages[0])
  }
  assert.equal(new Set(stages.map(s => s.peerId)).size, EXECUTORS, `ran on ${stages.map(s => s.peerName).join(', ')}`)
  const lastStart = Math.max(...stages.map(s => s.startedAt as number))
  const firstEnd = Math.min(...stages.map(s => s.finishedAt as number))
  assert.ok(lastStart < firstEnd, 'the stages ran one after another')
})
