import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobView, readBlob, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { history, scriptService, sha256, writeConfig } from './faults-helpers.js'
import { hostPid } from '../../executors/sandboxed-pids.js'

/** Start time of a live process (clock ticks after boot), or undefined once it is gone or a zombie. */
function startOf (pid: number): string | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
    return fields[0] === 'Z' ? undefined : fields[19]
  } catch {
    return undefined
  }
}

test('kill -9 of a peer mid-tool: the sandboxed tool and what it started die with it, the stage runs again after the restart and its folder goes', async (t) => {
  const lan = await createLan(t, { size: 1 })
  // The first run starts a helper, notes both pids (as its pid namespace numbers them) in its job folder and
  // waits for it for five minutes; before the restart the test swaps the script for one that copies at once.
  const body = (first: boolean): string => (first
    ? ['sleep 300 &', 'pids="$(dirname "$1")/pids"', 'echo "$$ $!" > "$pids.tmp" && mv "$pids.tmp" "$pids"', 'wait', 'cp "$1" "$2"']
    : ['cp "$1" "$2"']).join('\n')
  const hang = scriptService(lan.dir, 'hang', body(true))
  const config = writeConfig(lan.dir, 'hang', { services: [hang] })
  const node = await lan.start(0, { args: ['--config', config, '--offer', 'hang', '--no-mdns'] })
  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a part that outlives a crash\n')
  const [id] = await submitDetached(lan, node, [input, '--pipeline', 'hang'])

  const work = join(node.dataDir, 'work')
  const [tool, helper] = await waitFor(async () => {
    const folder = readdirSync(work).map(name => join(work, name)).find(path => existsSync(join(path, 'pids')))
    if (folder == null) return undefined
    const pids = readFileSync(join(folder, 'pids'), 'utf8').trim().split(' ').map(pid => hostPid(Number(pid), folder))
    return pids.every(pid => pid != null) ? pids as number[] : undefined
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'the tool to start its helper' })
  const started = new Map([[tool, startOf(tool)], [helper, startOf(helper)]])
  t.after(() => {
    // Only the processes this test saw, and only while they are still those processes.
    for (const [pid, start] of started) if (start !== undefined && startOf(pid) === start) try { process.kill(pid, 'SIGKILL') } catch {}
  })
  await waitFor(async () => (await jobView(lan, node, id)).stages[0].state === 'running', { timeoutMs: 15_000, intervalMs: 200, what: 'the stage to be running' })
  // A folder an earlier crash left behind.
  mkdirSync(join(work, 'j0123456789ab-0-1'))
  writeFileSync(join(work, 'j0123456789ab-0-1', 'input.txt'), 'left over\n')

  await lan.kill9(node)
  await waitFor(async () => startOf(tool) === undefined, { timeoutMs: 5000, intervalMs: 20, what: `the tool (pid ${tool}) to die with its peer` })
  await waitFor(async () => startOf(helper) === undefined, { timeoutMs: 5000, intervalMs: 20, what: `the tool's helper (pid ${helper}) to die with its pid namespace` })

  writeFileSync(hang.command, `#!/bin/sh\n${body(false)}\n`)
  await lan.restart(node)
  const [done] = await waitJobsEnded(lan, node, [id], 60_000)
  const view = await jobView(lan, node, id)
  assert.equal(done.state, 'done', history(view))
  assert.equal(done.result?.hash, sha256(readFileSync(input)), 'the output is the copied input')
  assert.deepEqual(readBlob(node, done.result?.hash as string), readFileSync(input))
  await waitFor(async () => readdirSync(work).length === 0, { timeoutMs: 5000, intervalMs: 50, what: 'work/ to be empty' })
})
