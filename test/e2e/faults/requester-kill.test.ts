import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobView, logRuns, readBlob, stageRuns, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { history, peersBefore, sha256, slowService, toolsOf, waitListed, writeConfig } from './faults-helpers.js'
import type { Lan, MeshNode } from '../../lan/harness.js'

/** Waits until stage `index` of the job runs its tool on one of the executors. */
async function stageRunning (lan: Lan, requester: MeshNode, executors: MeshNode[], id: string, index: number): Promise<void> {
  await waitFor(async () => {
    const job = await jobView(lan, requester, id)
    const holder = executors.find(n => n.peerId === job.stages[index].peerId)
    return job.stages[index].state === 'running' && holder !== undefined && toolsOf(holder).length > 0
  }, { timeoutMs: 30_000, intervalMs: 200, what: `stage ${index} of ${id} to run` })
}

test('kill -9 of the requester during each stage of slow,slow: restarted, the pipeline resumes from LevelDB and completes, each stage run once', async (t) => {
  const lan = await createLan(t, { size: 3 })
  const config = writeConfig(lan.dir, 'slow', { services: [slowService(lan.dir, 4)] })
  const [requester, a, b] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'slow', ...peersBefore(lan, i)], env: logRuns() }))
  await waitListed(lan, requester, [a, b], 'slow')

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'two slow stages\n'.repeat(50))
  const [id] = await submitDetached(lan, requester, [input, '--pipeline', 'slow,slow'])

  for (const index of [0, 1]) {
    await stageRunning(lan, requester, [a, b], id, index)
    await lan.kill9(requester)
    await lan.restart(requester)
  }

  const [done] = await waitJobsEnded(lan, requester, [id], 90_000)
  const view = await jobView(lan, requester, id)
  assert.equal(done.state, 'done', `the job completes:\n${history(view)}`)
  for (const stage of view.stages) {
    const runs = stageRuns([a, b], id, stage.index)
    assert.equal(runs.length, 1, `stage ${stage.index} ran once, not ${runs.join(', ')}:\n${history(view)}`)
    assert.equal(stage.attempt, 1, `stage ${stage.index} kept its first award across the restart`)
  }
  assert.deepEqual(readBlob(requester, sha256(readFileSync(input))), readFileSync(input), 'the requester holds the result, the input copied twice')
})
