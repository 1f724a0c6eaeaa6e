import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobList, jobView, logRuns, stageRuns, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { history, peersBefore, slowService, waitListed, writeConfig } from './faults-helpers.js'

const JOBS = 50
const CUT_MS = 15_000

test(`a peer's link cut for ${CUT_MS / 1000} s (less than its lease) in the middle of ${JOBS} short jobs: all complete, none runs twice, the peer rejoins`, async (t) => {
  const lan = await createLan(t, { size: 4 })
  // A lease outlasts the cut. With a shorter one (the default 10 s) the requester must give the cut peer up
  // and award its stage again: a stage the peer finished during the cut, unable to report, then runs twice.
  const config = writeConfig(lan.dir, 'short', { services: [slowService(lan.dir, 0.5)], market: { leaseMs: 2 * CUT_MS } })
  const [requester, ...executors] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'slow', ...peersBefore(lan, i)], env: logRuns() }))
  await waitListed(lan, requester, executors, 'slow')

  // Distinct inputs: no executor already holds the next job's input, so each run starts with a transfer.
  const files = Array.from({ length: JOBS }, (_, i) => {
    const path = join(lan.dir, `p${i}.txt`)
    writeFileSync(path, `part ${i}\n`.repeat(20))
    return path
  })
  const ids = await submitDetached(lan, requester, [...files, '--pipeline', 'slow'])
  assert.equal(ids.length, JOBS)

  const cut = executors[0]
  await waitFor(async () => {
    const jobs = (await jobList(lan, requester)).filter(j => ids.includes(j.id))
    const done = jobs.filter(j => j.state === 'done').length
    return done >= 5 && jobs.some(j => j.stages[0].peerId === cut.peerId && j.stages[0].state === 'running')
  }, { timeoutMs: 60_000, intervalMs: 200, what: `some jobs done and one running on ${cut.name}` })
  lan.cutLink(cut)
  await sleep(CUT_MS)
  lan.restoreLink(cut)

  const jobs = await waitJobsEnded(lan, requester, ids, 180_000)
  for (const job of jobs) {
    const runs = stageRuns(executors, job.id, 0)
    if (job.state !== 'done' || runs.length !== 1) {
      assert.fail(`${job.id} ended ${job.state} after ${runs.length} runs (${runs.join(', ')}):\n${history(await jobView(lan, requester, job.id))}`)
    }
  }
  await waitListed(lan, requester, [cut], 'slow', 60_000)
  const back = await lan.peers(cut)
  assert.ok(back.some(p => p.peerId === requester.peerId), `${cut.name} lists the requester again`)
  t.diagnostic(`${jobs.filter(j => j.stages[0].attempt > 1).length} of ${JOBS} stages were awarded more than once`)
})
