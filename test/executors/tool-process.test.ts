import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { parseServiceConfig } from '../../src/executors/service-config.js'
import { endLeftoverTools, TOOL_MARK_VARIABLE, type ToolStamp } from '../../src/executors/tool-process.js'
import { waitFor } from '../lan/wait.js'
import { makeJob, type TestJob } from './job-dir.js'
import type { TestContext } from 'node:test'

/** Start time (clock ticks after boot) of a live process, or undefined once it is gone (or a zombie). */
function startOf (pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' ? undefined : fields[19]
  } catch {
    return undefined
  }
}

/** Kills, after the test, the processes it saw by pid, each only while it is still the same process. */
function killAfter (t: TestContext, seen: Map<number, string>): void {
  t.after(() => {
    for (const [pid, start] of seen) {
      if (startOf(pid) === start) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
  })
}

/**
 * A service whose script starts a helper (`sleep`) in the background, writes both pids to the job folder and
 * waits for it: a tool with a child, as a slicer with helper processes has.
 */
async function toolWithHelper (job: TestJob): Promise<CustomServiceExecutor> {
  const script = join(job.workDir, 'tool.sh')
  await writeFile(script, '#!/bin/sh\nsleep 300 &\necho "$$ $!" > "$(dirname "$1")/pids.tmp"\nmv "$(dirname "$1")/pids.tmp" "$(dirname "$1")/pids"\nwait\ncp "$1" "$2"\n')
  await chmod(script, 0o755)
  return new CustomServiceExecutor(parseServiceConfig({ name: 'helper', command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]'))
}

async function pidsOf (job: TestJob, t: TestContext): Promise<{ tool: number, helper: number }> {
  const file = join(job.workDir, 'pids')
  await waitFor(async () => existsSync(file), { timeoutMs: 10_000, intervalMs: 20, what: 'the tool to start its helper' })
  const [tool, helper] = (await readFile(file, 'utf8')).trim().split(' ').map(Number)
  killAfter(t, new Map([[tool, startOf(tool) ?? ''], [helper, startOf(helper) ?? '']]))
  return { tool, helper }
}

test('a cancelled tool takes the processes it started with it', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const running = (await toolWithHelper(job)).run(job)
  const { tool, helper } = await pidsOf(job, t)
  job.abort.abort()
  await assert.rejects(running, { name: 'ToolCancelledError' })
  assert.equal(startOf(tool), undefined, 'the tool is gone')
  await waitFor(async () => startOf(helper) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the tool\'s helper to be gone' })
})

test('each native tool is stamped as it starts: its pid, its start time, and a mark its helpers inherit', async (t) => {
  const stamps: ToolStamp[] = []
  const job = await makeJob(t, { 'part.txt': 'x' }, { onSpawn: async (stamp) => { stamps.push(stamp) } })
  const running = (await toolWithHelper(job)).run(job)
  const { tool, helper } = await pidsOf(job, t)
  assert.equal(stamps.length, 1)
  assert.equal(stamps[0].pid, tool, 'the stamp names the tool itself, not a wrapper')
  assert.equal(stamps[0].start, startOf(tool))
  assert.equal(stamps[0].boot, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  for (const pid of [tool, helper]) {
    assert.ok(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${TOOL_MARK_VARIABLE}=${stamps[0].mark}`), `process ${pid} carries the mark`)
  }
  job.abort.abort()
  await assert.rejects(running, { name: 'ToolCancelledError' })
})

test('after the node died, a restart ends what is left of its tools, and nothing that only looks like them', async (t) => {
  const stamps: ToolStamp[] = []
  const job = await makeJob(t, { 'part.txt': 'x' }, { onSpawn: async (stamp) => { stamps.push(stamp) } })
  const running = (await toolWithHelper(job)).run(job)
  running.catch(() => {})
  const { tool, helper } = await pidsOf(job, t)
  // What the parent-death signal does to the tool when its node dies; its helper lives on.
  process.kill(tool, 'SIGKILL')
  await waitFor(async () => startOf(tool) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the tool to die' })
  assert.notEqual(startOf(helper), undefined, 'the helper outlives the tool')

  const [stamp] = stamps
  assert.deepEqual(await endLeftoverTools([{ ...stamp, mark: '0000000000000000' }]), [], 'another run\'s mark: nothing is killed')
  assert.deepEqual(await endLeftoverTools([{ ...stamp, boot: 'another-boot' }]), [], 'a stamp from before a reboot: nothing is killed')
  assert.deepEqual(await endLeftoverTools([{ ...stamp, start: String(BigInt(startOf(helper) as string) + 1n) }]), [], 'a group younger than what runs in it is another group')
  assert.notEqual(startOf(helper), undefined)

  assert.deepEqual(await endLeftoverTools([stamp]), [helper])
  await waitFor(async () => startOf(helper) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the helper to be gone' })
  await assert.rejects(running, { name: 'ToolFailedError' })
})

test('a program that is not there is still named as not installed', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const missing = new CustomServiceExecutor(parseServiceConfig({ name: 'gone', command: '/nonexistent/meshnode-tool', args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]'))
  await assert.rejects(missing.run(job), { name: 'ToolFailedError', message: 'gone failed: /nonexistent/meshnode-tool is not installed' })
})
