import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { findConfinement, type ToolConfinement } from '../../src/executors/sandbox.js'
import { endLeftoverTools, TOOL_MARK_VARIABLE, type ToolStamp } from '../../src/executors/tool-process.js'
import { waitFor } from '../lan/wait.js'
import { sandbox } from './confinement.js'
import { makeJob, type TestJob } from './job-dir.js'
import { hostPid } from './sandboxed-pids.js'
import type { TestContext } from 'node:test'

const confinement = await sandbox()

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
 * A service whose script starts a helper (`sleep`) in the background, writes both pids (as it sees them) to
 * the job folder and waits for it: a tool with a child, as a slicer with helper processes has.
 */
async function toolWithHelper (job: TestJob, confinement: ToolConfinement): Promise<CustomServiceExecutor> {
  const script = join(job.workDir, 'tool.sh')
  await writeFile(script, '#!/bin/sh\nsleep 300 &\necho "$$ $!" > "$(dirname "$1")/pids.tmp"\nmv "$(dirname "$1")/pids.tmp" "$(dirname "$1")/pids"\nwait\ncp "$1" "$2"\n')
  await chmod(script, 0o755)
  return new CustomServiceExecutor(parseServiceConfig({ name: 'helper', command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]'), confinement)
}

/** The host pids of the tool and its helper; inside the sandbox they know themselves by their namespace's pids. */
async function pidsOf (job: TestJob, t: TestContext, sandboxed: boolean): Promise<{ tool: number, helper: number }> {
  const file = join(job.workDir, 'pids')
  await waitFor(async () => existsSync(file), { timeoutMs: 10_000, intervalMs: 20, what: 'the tool to start its helper' })
  const seen = (await readFile(file, 'utf8')).trim().split(' ').map(Number)
  const [tool, helper] = sandboxed ? seen.map(pid => hostPid(pid, job.workDir) ?? -1) : seen
  assert.ok(tool > 0 && helper > 0, `the tool and its helper are found on the host (${seen.join(', ')})`)
  killAfter(t, new Map([[tool, startOf(tool) ?? ''], [helper, startOf(helper) ?? '']]))
  return { tool, helper }
}

function groupOf (pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[2])
}

test('a cancelled tool takes the processes it started with it', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const running = (await toolWithHelper(job, confinement)).run(job)
  const { tool, helper } = await pidsOf(job, t, true)
  job.abort.abort()
  await assert.rejects(running, { name: 'ToolCancelledError' })
  await waitFor(async () => startOf(tool) === undefined && startOf(helper) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the tool and its helper to be gone' })
})

test('each native tool is stamped as it starts: the group it leads, its start time, and a mark its helpers inherit', async (t) => {
  const stamps: ToolStamp[] = []
  const job = await makeJob(t, { 'part.txt': 'x' }, { onSpawn: async (stamp) => { stamps.push(stamp) } })
  const running = (await toolWithHelper(job, confinement)).run(job)
  const { tool, helper } = await pidsOf(job, t, true)
  assert.equal(stamps.length, 1)
  assert.equal(groupOf(tool), stamps[0].pid, 'the stamp names the process group the sandboxed tool runs in')
  assert.equal(stamps[0].start, startOf(stamps[0].pid))
  assert.equal(stamps[0].boot, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  for (const pid of [tool, helper]) {
    assert.ok(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${TOOL_MARK_VARIABLE}=${stamps[0].mark}`), `process ${pid} carries the mark`)
  }
  job.abort.abort()
  await assert.rejects(running, { name: 'ToolCancelledError' })
})

test('in the sandbox, what a tool started dies with the tool: its pid namespace goes with it', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const running = (await toolWithHelper(job, confinement)).run(job)
  running.catch(() => {})
  const { tool, helper } = await pidsOf(job, t, true)
  process.kill(tool, 'SIGKILL')
  await waitFor(async () => startOf(tool) === undefined && startOf(helper) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the tool and its helper to be gone' })
  await assert.rejects(running, { name: 'ToolFailedError' })
})

test('with the sandbox off, a restart ends what is left of a dead node\'s tools, and nothing that only looks like them', async (t) => {
  const stamps: ToolStamp[] = []
  const job = await makeJob(t, { 'part.txt': 'x' }, { onSpawn: async (stamp) => { stamps.push(stamp) } })
  const running = (await toolWithHelper(job, await findConfinement(false))).run(job)
  running.catch(() => {})
  const { tool, helper } = await pidsOf(job, t, false)
  assert.equal(stamps[0].pid, tool, 'the stamp names the tool itself, not a wrapper')
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

test('a program that is not there is still named as not installed, in the sandbox and out of it', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  for (const command of ['/nonexistent/meshnode-tool', 'meshnode-no-such-tool']) {
    for (const confined of [confinement, await findConfinement(false)]) {
      const missing = new CustomServiceExecutor(parseServiceConfig({ name: 'gone', command, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]'), confined)
      await assert.rejects(missing.run(job), { name: 'ToolFailedError', message: `gone failed: ${command} is not installed` })
    }
  }
})
