import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobView, submitDetached } from '../jobs/jobs-helpers.js'
import { history, killOrphans, peersBefore, slowService, toolsOf, waitListed, writeConfig } from './faults-helpers.js'

const CRASHED_TWICE = 'the node crashed twice while running this job; not retrying it'

test('a requester that dies twice during one job does not take it up a third time: the job fails and says why', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const config = writeConfig(lan.dir, 'slow', { services: [slowService(lan.dir, 120)] })
  const [requester, executor] = await lan.startAll(i => ({ mdns: false, args: ['--config', config, '--offer', i === 0 ? 'none' : 'slow', ...peersBefore(lan, i)] }))
  t.after(() => { killOrphans(executor) })
  await waitListed(lan, requester, [executor], 'slow')
  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a part whose job the requester keeps dying on\n')
  const [id] = await submitDetached(lan, requester, [input, '--pipeline', 'slow'])
  await waitFor(async () => (await jobView(lan, requester, id)).stages[0].state === 'running' && toolsOf(executor).length > 0,
    { timeoutMs: 30_000, intervalMs: 200, what: `job ${id}'s stage to run on ${executor.name}` })

  // A clean stop is no crash: the job goes on as before.
  await lan.restart(requester)
  let view = await jobView(lan, requester, id)
  assert.equal(view.state, 'running', `a clean restart leaves the job running:\n${history(view)}`)
  assert.equal(view.events.filter(e => e.type === 'resumed').length, 0, `a clean restart is not counted:\n${history(view)}`)

  await lan.kill9(requester)
  await lan.restart(requester)
  view = await jobView(lan, requester, id)
  assert.equal(view.state, 'running', `after one crash the job is taken up again:\n${history(view)}`)
  assert.equal(view.events.filter(e => e.type === 'resumed').length, 1, `the history says it resumed after a crash:\n${history(view)}`)

  await lan.kill9(requester)
  await lan.restart(requester)
  view = await jobView(lan, requester, id)
  assert.equal(view.state, 'failed', `after the second crash the job is not taken up:\n${history(view)}`)
  assert.ok(view.error?.startsWith(CRASHED_TWICE), `the job says why: ${view.error}`)
  assert.equal(view.events.filter(e => e.type === 'resumed').length, 1, 'the third start did not resume it')
  const shown = await lan.runCli(requester, ['job', id])
  assert.equal(shown.code, 0, shown.stderr)
  assert.ok(shown.stdout.includes(CRASHED_TWICE), `meshnode job ${id} shows the reason:\n${shown.stdout}`)

  // The executor's next renewal is refused and it stops the stage; the requester runs on.
  await waitFor(() => toolsOf(executor).length === 0, { timeoutMs: 20_000, intervalMs: 250, what: `${executor.name} to stop the failed job's tool` })
  assert.equal(requester.process.exitStatus, undefined, `${requester.name} runs on`)
})
