/** Runs the tasks given one key one after another, in the order they came; tasks of other keys run alongside. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    const run = before.then(task, task)
    const settled = run.catch(() => {})
    this.tails.set(key, settled)
    try {
      return await run
    } finally {
      if (this.tails.get(key) === settled) this.tails.delete(key)
    }
  }
}
