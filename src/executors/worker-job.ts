import { Worker } from 'node:worker_threads'
import { ToolCancelledError, ToolFailedError, ToolTimeoutError } from './errors.js'
import { userPaths } from './shown-paths.js'
import type { StageRun } from './executor.js'

/** What an engine's worker posts back to the executor. */
export type WorkerMessage =
  | { type: 'log', line: string }
  | { type: 'progress', percent: number }
  | { type: 'failed', message: string }
  | { type: 'done' }

/**
 * Runs an embedded engine in its own worker thread, one worker per job: a WebAssembly engine
 * cannot be interrupted from inside, so cancel and timeout terminate the thread, and a crash
 * leaves no poisoned instance behind for the next job.
 */
export async function runWorkerJob (tool: string, script: URL, workerData: unknown, run: StageRun, virtualDir?: string): Promise<void> {
  if (run.signal.aborted) throw new ToolCancelledError(tool)
  const shown = userPaths(run, virtualDir != null ? [virtualDir] : [])
  const worker = new Worker(script, { workerData, stdout: true, stderr: true })
  const { promise, resolve, reject } = Promise.withResolvers<void>()
  const stop = (err: Error): void => {
    reject(err)
    void worker.terminate()
  }
  const onAbort = (): void => stop(new ToolCancelledError(tool))
  const timer = setTimeout(() => stop(new ToolTimeoutError(tool, run.timeoutMs)), run.timeoutMs)
  run.signal.addEventListener('abort', onAbort, { once: true })
  worker.stdout.resume()
  worker.stderr.resume()
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'log') run.onLog(shown(message.line))
    else if (message.type === 'progress') run.onProgress(message.percent)
    else if (message.type === 'failed') reject(new ToolFailedError(tool, shown(message.message)))
    else resolve()
  })
  worker.on('error', err => reject(new ToolFailedError(tool, err.message)))
  worker.on('exit', code => reject(new ToolFailedError(tool, `engine stopped unexpectedly (exit code ${code})`)))
  try {
    await promise
  } finally {
    clearTimeout(timer)
    run.signal.removeEventListener('abort', onAbort)
    await worker.terminate()
  }
}
