import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

export interface NodeRunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface NodeRun {
  child: ChildProcess
  /** Resolves with stdout so far once a line containing `untilStdout` appears (rejects if it exits first). */
  sawLine: Promise<string>
  done: Promise<NodeRunResult>
}

/** Runs a Node script in the host namespace with a time limit (SIGKILL by its pid after `timeoutMs`). */
export function runNode (args: string[], options: { timeoutMs: number, untilStdout?: string }): NodeRun {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs, killSignal: 'SIGKILL' })
  let stdout = ''
  let stderr = ''
  const saw = Promise.withResolvers<string>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (options.untilStdout !== undefined && stdout.includes(options.untilStdout) && stdout.endsWith('\n')) saw.resolve(stdout)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const done = new Promise<NodeRunResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      saw.reject(new Error(`${args.join(' ')} exited (code ${code}, signal ${signal}) before printing ${options.untilStdout}:\n${stdout}\n${stderr}`))
      resolve({ code, signal, stdout, stderr })
    })
  })
  saw.promise.catch(() => {})
  return { child, sawLine: saw.promise, done }
}
