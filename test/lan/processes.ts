import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ChildProcess } from 'node:child_process'
import type { Namespace } from './netns.js'

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A process the harness started inside a namespace, its output going to two files. */
export interface LanProcess {
  name: string
  argv: string[]
  pid: number
  child: ChildProcess
  stdoutPath: string
  stderrPath: string
  startedAt: number
  /** Set once it has exited. */
  exitStatus: ExitStatus | undefined
  exited: Promise<ExitStatus>
}

/**
 * Starts `argv` in namespace `ns`, appending its stdout and stderr to files. `setpriv --pdeathsig KILL`
 * makes the kernel kill it if the test process dies without cleaning up (kill -9 of the runner), and
 * `ip netns exec` execs rather than forks, so the pid we hold is the program itself: signals reach it and
 * /proc/<pid> describes it.
 */
export function spawnInNamespace (ns: Namespace, name: string, argv: string[], logBase: string, env?: NodeJS.ProcessEnv): LanProcess {
  const stdoutPath = `${logBase}.stdout.log`
  const stderrPath = `${logBase}.stderr.log`
  const out = openSync(stdoutPath, 'a')
  const err = openSync(stderrPath, 'a')
  const startedAt = Date.now()
  const header = `--- ${new Date(startedAt).toISOString()} in ${ns.name}: ${argv.join(' ')}\n`
  writeSync(out, header)
  writeSync(err, header)
  let child: ChildProcess
  try {
    child = spawn('ip', ['netns', 'exec', ns.name, 'setpriv', '--pdeathsig', 'KILL', '--', ...argv], {
      stdio: ['ignore', out, err],
      env: env ?? process.env
    })
  } finally {
    closeSync(out)
    closeSync(err)
  }
  if (child.pid === undefined) throw new Error(`could not start ${name} in ${ns.name}: ${argv.join(' ')}`)
  const proc: LanProcess = {
    name, argv, pid: child.pid, child, stdoutPath, stderrPath, startedAt, exitStatus: undefined,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        proc.exitStatus = { code, signal }
        resolve(proc.exitStatus)
      })
    })
  }
  return proc
}

/** Waits up to `timeoutMs` for `proc` to exit; undefined if it is still running. */
export async function waitExit (proc: LanProcess, timeoutMs: number): Promise<ExitStatus | undefined> {
  if (proc.exitStatus !== undefined) return proc.exitStatus
  return Promise.race([proc.exited, sleep(timeoutMs, undefined, { ref: false })])
}

/** Signals the process by its own pid; no-op once it has exited. */
export function signal (proc: LanProcess, sig: NodeJS.Signals): void {
  if (proc.exitStatus !== undefined) return
  try { process.kill(proc.pid, sig) } catch { /* it exited between the check and the kill */ }
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it is gone (bounded). */
export async function terminate (proc: LanProcess, graceMs: number): Promise<ExitStatus | undefined> {
  signal(proc, 'SIGTERM')
  const status = await waitExit(proc, graceMs)
  if (status !== undefined) return status
  signal(proc, 'SIGKILL')
  return waitExit(proc, 5_000)
}

/** The last `lines` lines of a log file ("" if it does not exist). */
export function tail (path: string, lines: number): string {
  if (!existsSync(path)) return ''
  const text = readFileSync(path, 'utf8')
  return text.split('\n').slice(-lines - 1).join('\n')
}
