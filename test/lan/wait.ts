import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number
  /** What is awaited, for the failure message: "node-3 to list 4 peers". */
  what: string
  /** Pause between polls; 200 ms unless told. */
  intervalMs?: number
  /** An error for which polling stops at once and the error is rethrown (e.g. the daemon has exited). */
  failFast?: (err: unknown) => boolean
}

export class WaitTimeoutError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WaitTimeoutError'
  }
}

/**
 * Polls `predicate` until it returns something other than `undefined`, `null` or `false`, and returns that.
 * A predicate that throws counts as "not yet"; its last error is named in the timeout message, so a failing
 * test says what it was waiting for and what it last saw.
 */
export async function waitFor<T> (
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions
): Promise<T> {
  const intervalMs = options.intervalMs ?? 200
  const started = Date.now()
  const deadline = started + options.timeoutMs
  const maxPolls = Math.ceil(options.timeoutMs / Math.max(intervalMs, 1)) + 1
  let lastError: unknown
  for (let poll = 0; poll < maxPolls; poll++) {
    try {
      const value = await predicate()
      if (value !== undefined && value !== null && value !== false) return value
      lastError = undefined
    } catch (err) {
      if (options.failFast?.(err) === true) throw err
      lastError = err
    }
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(intervalMs, left))
  }
  const last = lastError instanceof Error ? `; last error: ${lastError.message}` : ''
  throw new WaitTimeoutError(`timed out after ${Date.now() - started} ms waiting for ${options.what}${last}`, { cause: lastError })
}
