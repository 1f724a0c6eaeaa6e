/** Runs at most `max` tasks at once; the rest wait their turn in order. */
export class Limit {
  private readonly max: number
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor (max: number) {
    this.max = max
  }

  async run<T> (task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds `max`.
    if (this.active >= this.max) await new Promise<void>(resolve => this.waiting.push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next != null) next()
      else this.active--
    }
  }
}
