import { randomBytes } from 'node:crypto'
import { ToolCancelledError, ToolFailedError, ToolTimeoutError } from './errors.js'
import { userPaths } from './shown-paths.js'
import { checkOutputSize, limitBreached } from './tool-limits.js'
import { readLines } from './tool-lines.js'
import { deathBound, isMissingProgram, stampTool, TOOL_MARK_VARIABLE } from './tool-process.js'
import type { StageRun } from './executor.js'
import type { ToolConfinement } from './sandbox.js'

const TAIL_LINES = 40
const MAX_LOG_LINE = 4000
// A tool that ignores SIGTERM (a slicer deep in a layer) still goes within this long.
const KILL_GRACE_MS = 3000

export interface ToolProcess {
  /** How the tool is named in errors and logs, e.g. `openscad`. */
  tool: string
  file: string
  args: string[]
  env?: Record<string, string | undefined>
  /** The sandbox (or, where the owner turned it off, only the limits) it runs in. */
  confinement: ToolConfinement
  /** Host files outside the system the tool reads, e.g. a slicer profile. */
  readOnly?: string[]
  /** The file the tool writes, checked against the output limit once it is done. */
  output: string
  /** Sees every stdout/stderr line, e.g. to turn "70 => Infilling" into progress. */
  onLine?: (line: string) => void
}

/**
 * Runs a native tool in the job directory: argument array, no shell, no stdin, inside its sandbox and
 * limits. Output lines go to the job log; failure, timeout, cancel and a broken limit become the named
 * errors, a failure carrying the tool's own error lines. The tool leads a process group of its own, so
 * cancel and timeout end whatever it started too; it dies with the node, and its stamp lets a restarted
 * node end what is left.
 */
export async function runTool (proc: ToolProcess, run: StageRun): Promise<void> {
  const tail: string[] = []
  const shown = userPaths(run)
  const take = (line: string): void => {
    const text = shown(line)
    tail.push(text)
    if (tail.length > TAIL_LINES) tail.shift()
    run.onLog(text.length > MAX_LOG_LINE ? text.slice(0, MAX_LOG_LINE) + '…' : text)
    proc.onLine?.(text)
  }
  // Loaded with the first tool run, not with every peer at start.
  const { execa, ExecaError } = await import('execa')
  const mark = randomBytes(8).toString('hex')
  const view = { workDir: run.workDir, inputs: [run.input.path, ...run.extraFiles.map(f => f.path)], readOnly: proc.readOnly ?? [] }
  const confined = proc.confinement.command(proc.file, proc.args, view, run.limits, proc.env)
  const command = confined.diesWithParent ? confined : await deathBound(confined.file, confined.args)
  const subprocess = execa(command.file, command.args, {
    cwd: run.workDir,
    env: { ...confined.env, [TOOL_MARK_VARIABLE]: mark },
    extendEnv: confined.extendEnv,
    stdio: ['ignore', 'pipe', 'pipe', ...(confined.fd3 == null ? [] : [confined.fd3])],
    // Lines are cut here rather than by execa's line transforms, which cost about 1 ms of CPU more per run.
    buffer: false,
    cancelSignal: run.signal,
    timeout: run.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    killDescendants: true
  })
  readLines(subprocess.stdout, take)
  readLines(subprocess.stderr, take)
  const stamp = subprocess.pid == null || run.onSpawn == null ? undefined : stampTool(subprocess.pid, mark)
  const stamped = stamp == null ? undefined : run.onSpawn?.(stamp)
  stamped?.catch(() => {})
  try {
    await subprocess
    await checkOutputSize(proc.tool, run.limits, proc.output)
  } catch (err) {
    if (!(err instanceof ExecaError)) throw err
    if (err.timedOut) throw new ToolTimeoutError(proc.tool, run.timeoutMs)
    if (err.isCanceled) throw new ToolCancelledError(proc.tool)
    if (err.code === 'ENOENT' || isMissingProgram(err.exitCode, tail)) throw new ToolFailedError(proc.tool, `${proc.file} is not installed`)
    const limit = limitBreached(proc.tool, run.limits, { exitCode: err.exitCode, signal: err.signal }, tail)
    if (limit != null) throw limit
    const how = err.exitCode != null ? `exit code ${err.exitCode}` : `signal ${err.signal ?? 'unknown'}`
    throw new ToolFailedError(proc.tool, `${toolMessage(tail) || err.shortMessage} (${how})`, err.exitCode)
  } finally {
    // The stage's record must say which tool ran before the stage's end is recorded over it.
    await stamped
  }
}

/** The lines a user needs from a failed run: its error lines, else the last few lines. */
export function toolMessage (lines: readonly string[]): string {
  const errors = lines.filter(line => /error|fail|can't|cannot|unable/i.test(line))
  const chosen = errors.length > 0 ? errors : lines.filter(line => line.trim() !== '').slice(-5)
  return chosen.map(line => line.trim().slice(0, 500)).join('\n')
}
