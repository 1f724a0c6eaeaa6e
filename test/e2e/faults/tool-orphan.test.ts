import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobView, readBlob, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { history, scriptService, sha256, writeConfig } from './faults-helpers.js'

/** Start time of a live process (clock ticks after boot), or undefined once it is gone or a zombie. */
function startOf (pid: number): string | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
    return fields[0] === 'Z' ? undefined : fields[19]
  } catch {
    return undefined
  }
}

test('kill -9 of a peer mid-tool: the tool dies with it, what it started ends at the restart, the stage runs again and its folder goes', async (t) => {
  const lan = await createLan(t, { size: 1 })
  const once = join(lan.dir, 'hang.once')
  const pids = join(lan.dir, 'hang.pids')
  // The first run starts a helper and waits for it for five minutes; a later run copies at once.
  const hang = scriptService(lan.dir, 'hang', [
    `if [ ! -e ${once} ]; then`,
    `  touch ${once}`,
    '  sleep 300 &',
    `  echo "$$ $!" > ${pids}.tmp && mv ${pids}.tmp ${pids}`,
    '  wait',
    'fi',
    'cp "$1" "$2"'
  ].join('\n'))
  const config = writeConfig(lan.dir, 'hang', { services: [hang] })
  const node = await lan.start(0, { args: ['--config', config, '--offer', 'hang', '--no-mdns'] })
  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a part that outlives a crash\n')
  const [id] = await submitDetached(lan, node, [input, '--pipeline', 'hang'])

  const [tool, helper] = await waitFor(async () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split(' ').map(Number),
    { timeoutMs: 30_000, intervalMs: 50, what: 'the tool to start its helper' })
  const started = new Map([[tool, startOf(tool)], [helper, startOf(helper)]])
  t.after(() => {
    // Only the processes this test saw, and only while they are still those processes.
    for (const [pid, start] of started) if (start !== undefined && startOf(pid) === start) try { process.kill(pid, 'SIGKILL') } catch {}
  })
  await waitFor(async () => (await jobView(lan, node, id)).stages[0].state === 'running', { timeoutMs: 15_000, intervalMs: 200, what: 'the stage to be running' })
  // A folder an earlier crash left behind.
  const work = join(node.dataDir, 'work')
  mkdirSync(join(work, 'j0123456789ab-0-1'))
  writeFileSync(join(work, 'j0123456789ab-0-1', 'input.txt'), 'left over\n')

  await lan.kill9(node)
  await waitFor(async () => startOf(tool) === undefined, { timeoutMs: 5000, intervalMs: 20, what: `the tool (pid ${tool}) to die with its peer` })
  t.diagnostic(`the tool's helper was ${startOf(helper) === undefined ? 'gone' : 'still running'} before the restart`)

  await lan.restart(node)
  await waitFor(async () => startOf(helper) === undefined, { timeoutMs: 10_000, intervalMs: 50, what: `the tool's helper (pid ${helper}) to be ended by the restarted peer` })
  const [done] = await waitJobsEnded(lan, node, [id], 60_000)
  const view = await jobView(lan, node, id)
  assert.equal(done.state, 'done', history(view))
  assert.equal(done.result?.hash, sha256(readFileSync(input)), 'the output is the copied input')
  assert.deepEqual(readBlob(node, done.result?.hash as string), readFileSync(input))
  await waitFor(async () => readdirSync(work).length === 0, { timeoutMs: 5000, intervalMs: 50, what: 'work/ to be empty' })
})
