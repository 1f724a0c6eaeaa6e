import { spawn } from 'node:child_process'
import { Writable } from 'node:stream'

/** How a short command ended: its output (stdout and stderr as they came, up to a limit) and its exit. */
export interface BriefRun {
  output: string
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  /** Why it could not start (ENOENT, EACCES, ...). */
  error?: NodeJS.ErrnoException
}

export interface BriefRunOptions {
  timeoutMs: number
  env: NodeJS.ProcessEnv
  /** Bytes written to the command's file descriptor 3 (the sandbox's seccomp filter). */
  fd3?: Uint8Array
  signal?: AbortSignal
}

/** What of the output is kept: a version line or the first line of an error. */
const OUTPUT_CHARS = 64 * 1024

/**
 * Runs a command that answers at once (a tool's version, the sandbox's probe) with node:child_process.
 * These run at start, before the peer is ready; execa is some 150 modules, which a peer otherwise loads only
 * for its first tool run. A command past its time is killed outright: it only had to print a line.
 */
export async function runBriefly (file: string, args: readonly string[], options: BriefRunOptions): Promise<BriefRun> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe', ...(options.fd3 == null ? [] : ['pipe' as const])], env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', signal: options.signal })
  let output = ''
  const keep = (text: string): void => { output = (output + text).slice(0, OUTPUT_CHARS) }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  const fd3 = child.stdio[3]
  // A command that closes the pipe early fails by its own exit, which says why.
  if (options.fd3 != null && fd3 instanceof Writable) fd3.on('error', () => {}).end(options.fd3)
  const started = performance.now()
  return await new Promise<BriefRun>(resolve => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // An abort or a timeout also comes as an error, after the kill; the close that follows says how it ended.
      if (error.code === 'ENOENT' || error.code === 'EACCES' || child.pid == null) resolve({ output, code: null, signal: null, timedOut: false, error })
    })
    child.once('close', (code, signal) => {
      resolve({ output, code, signal, timedOut: signal != null && performance.now() - started >= options.timeoutMs })
    })
  })
}
