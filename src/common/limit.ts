/**
 * Runs at most `max` tasks at once; the rest wait their turn in order. `max` may be a function, read each
 * time a slot could free (a reloaded config changes it while tasks run).
 */
export class Limit {
  private readonly max: () => number
  private active = 0
  private readonly waiting: Array<{ admit: () => void }> = []

  constructor (max: number | (() => number)) {
    this.max = typeof max === 'number' ? () => max : max
  }

  /** Tasks running now. */
  get running (): number {
    return this.active
  }

  /** Runs `task` once a slot is free; given up, with the signal's reason, if `signal` aborts while it waits. */
  async run<T> (task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
      this.admit()
    })
    try {
      return await task()
    } finally {
      this.active--
      this.admit()
    }
  }

  /** Lets waiters in, first come first, while slots are free. */
  private admit (): void {
    while (this.active < this.max() && this.waiting.length > 0) {
      this.active++
      this.waiting.shift()?.admit()
    }
  }
}
