import { ToolCancelledError, ToolFailedError, ToolTimeoutError } from './errors.js'
import type { StageRun } from './executor.js'

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
  /** Sees every stdout/stderr line, e.g. to turn "70 => Infilling" into progress. */
  onLine?: (line: string) => void
}

/**
 * Runs a native tool in the job directory: argument array, no shell, no stdin. Output lines go to
 * the job log; failure, timeout and cancel become the named errors, a failure carrying the
 * tool's own error lines.
 */
export async function runTool (proc: ToolProcess, run: StageRun): Promise<void> {
  const tail: string[] = []
  const take = function * (line: unknown): Generator<never> {
    const text = String(line)
    tail.push(text)
    if (tail.length > TAIL_LINES) tail.shift()
    run.onLog(text.length > MAX_LOG_LINE ? text.slice(0, MAX_LOG_LINE) + '…' : text)
    proc.onLine?.(text)
  }
  // Loaded with the first tool run, not with every peer at start.
  const { execa, ExecaError } = await import('execa')
  try {
    await execa(proc.file, proc.args, {
      cwd: run.workDir,
      env: proc.env,
      extendEnv: proc.env == null,
      stdin: 'ignore',
      stdout: take,
      stderr: take,
      buffer: false,
      cancelSignal: run.signal,
      timeout: run.timeoutMs,
      forceKillAfterDelay: KILL_GRACE_MS
    })
  } catch (err) {
    if (!(err instanceof ExecaError)) throw err
    if (err.timedOut) throw new ToolTimeoutError(proc.tool, run.timeoutMs)
    if (err.isCanceled) throw new ToolCancelledError(proc.tool)
    if (err.code === 'ENOENT') throw new ToolFailedError(proc.tool, `${proc.file} is not installed`)
    const how = err.exitCode != null ? `exit code ${err.exitCode}` : `signal ${err.signal ?? 'unknown'}`
    throw new ToolFailedError(proc.tool, `${toolMessage(tail) || err.shortMessage} (${how})`, err.exitCode)
  }
}

/** The lines a user needs from a failed run: its error lines, else the last few lines. */
export function toolMessage (lines: readonly string[]): string {
  const errors = lines.filter(line => /error|fail|can't|cannot|unable/i.test(line))
  const chosen = errors.length > 0 ? errors : lines.filter(line => line.trim() !== '').slice(-5)
  return chosen.map(line => line.trim().slice(0, 500)).join('\n')
}
