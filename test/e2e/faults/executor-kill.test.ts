import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { blobsOnDisk, jobView, peerIdOf, readBlob, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { history, killOrphans, peersBefore, sha256, slowService, toolsOf, waitListed, writeConfig } from './faults-helpers.js'

test('kill -9 of the executor during a slow stage: its lease lapses, another peer runs the stage, one result', async (t) => {
  const lan = await createLan(t, { size: 3 })
  // A short lease so the lapse comes quickly; the executors renew every third of it.
  const config = writeConfig(lan.dir, 'slow', { services: [slowService(lan.dir, 6)], market: { leaseMs: 4000 } })
  const [requester, a, b] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'slow', ...peersBefore(lan, i)] }))
  await waitListed(lan, requester, [a, b], 'slow')

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'the part to copy slowly\n'.repeat(100))
  const [id] = await submitDetached(lan, requester, [input, '--pipeline', 'slow'])

  const first = await waitFor(async () => {
    const job = await jobView(lan, requester, id)
    const holder = [a, b].find(n => n.peerId === job.stages[0].peerId)
    return job.stages[0].state === 'running' && holder !== undefined && toolsOf(holder).length > 0 ? holder : undefined
  }, { timeoutMs: 30_000, intervalMs: 200, what: `job ${id}'s slow stage to run on a peer` })
  const survivor = first === a ? b : a
  await lan.kill9(first)
  t.after(() => { killOrphans(first) })

  const [done] = await waitJobsEnded(lan, requester, [id], 60_000)
  const view = await jobView(lan, requester, id)
  assert.equal(done.state, 'done', `the job completes:\n${history(view)}`)
  const stage = view.stages[0]
  assert.equal(stage.peerId, peerIdOf(survivor), 'the surviving peer ran the stage')
  assert.equal(stage.attempt, 2, 'the stage was awarded a second time')
  assert.ok(view.events.some(e => e.type === 'retry' && e.message.includes(`${first.name}'s lease lapsed`)), `the history says the lease lapsed:\n${history(view)}`)
  assert.equal(view.events.filter(e => e.type === 'stage-done').length, 1, 'one result was recorded')

  const expected = sha256(readFileSync(input))
  assert.equal(stage.output?.hash, expected, 'the output is the copied input')
  assert.deepEqual(stage.output?.holders, [peerIdOf(survivor)], 'the output comes from the surviving peer')
  assert.ok(blobsOnDisk(survivor).has(expected), 'the surviving peer holds the output')
  assert.deepEqual(readBlob(requester, expected), readFileSync(input), 'the requester pulled the result')
})
