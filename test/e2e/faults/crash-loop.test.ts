import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { createLan } from '../../lan/harness.js'
import { jobList, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { assertCoherent, NOOP, writeConfig } from './faults-helpers.js'

const KILLS = 20
const BATCH = 8

/** A fixed sequence of kill delays, so a failure can be replayed. */
function delays (seed: number): () => number {
  let x = seed
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return 100 + (x % 1400)
  }
}

test(`kill -9 ${KILLS} times during heavy LevelDB writes: the node always reopens with a coherent store and loses no acknowledged job`, async (t) => {
  const lan = await createLan(t, { size: 1 })
  // The node submits to itself and runs its own no-op stages: every job is a burst of writes to the job
  // store and the work queue, on both sides of the market.
  const config = writeConfig(lan.dir, 'noop', { services: [NOOP], market: { maxConcurrent: 4, bidWindowMs: 100 } })
  const node = await lan.start(0, { args: ['--config', config, '--offer', 'noop', '--no-mdns'] })
  const files = Array.from({ length: BATCH }, (_, i) => {
    const path = join(lan.dir, `p${i}.txt`)
    writeFileSync(path, `part ${i}\n`)
    return path
  })
  const next = delays(20240611)
  const acknowledged: string[] = []

  for (let round = 0; round < KILLS; round++) {
    // Submit one batch and wait for it, then kill during the next one (or during the jobs it started).
    const first = await lan.runCli(node, ['submit', ...files, '--pipeline', 'noop', '--detach'], 30_000)
    assert.equal(first.code, 0, `round ${round}: submit exits 0 after a restart: ${first.stderr}`)
    acknowledged.push(...first.stdout.trim().split('\n'))
    const second = lan.runCli(node, ['submit', ...files, '--pipeline', 'noop', '--detach'], 30_000)
    await sleep(next())
    await lan.kill9(node)
    // Restarted at once, as a supervisor would: a submit the kill cut off sends its request again.
    await lan.restart(node)
    const late = await second
    if (late.code === 0) acknowledged.push(...late.stdout.trim().split('\n'))
  }

  const listed = await jobList(lan, node)
  const ids = new Set(listed.map(j => j.id))
  const lost = acknowledged.filter(id => !ids.has(id))
  assert.deepEqual(lost, [], `every job that submit acknowledged is still there (${acknowledged.length} acknowledged)`)
  for (const job of listed) assertCoherent(job)

  // And they all finish: the store the node reopened is one it can go on from.
  const ended = await waitJobsEnded(lan, node, [...ids], 120_000)
  for (const job of ended) {
    assertCoherent(job)
    assert.equal(job.state, 'done', `${job.id}: ${job.error ?? job.stages.map(s => s.error).join('; ')}`)
  }
  t.diagnostic(`${acknowledged.length} jobs acknowledged, ${ids.size} stored, all done after ${KILLS} kills`)
})
