const AMBIENT_C = 21

/** A heater whose temperature moves toward its target at a fixed rate, computed from the clock when asked. */
export class Heater {
  private current = AMBIENT_C
  private goal = 0
  private at = Date.now()

  /** `degreesPerSecond` already includes the simulator's speed-up factor. */
  constructor (private readonly degreesPerSecond: number) {}

  get target (): number { return this.goal }

  set target (celsius: number) {
    this.temperature()
    this.goal = celsius
  }

  temperature (): number {
    const now = Date.now()
    const toward = this.goal > 0 ? this.goal : AMBIENT_C
    const step = this.degreesPerSecond * (now - this.at) / 1000
    this.at = now
    this.current = this.current < toward ? Math.min(toward, this.current + step) : Math.max(toward, this.current - step)
    return this.current
  }

  /** Marlin's M109/M190 call a heater at temperature within a degree or so of its target. */
  reached (): boolean {
    return Math.abs(this.temperature() - (this.goal > 0 ? this.goal : AMBIENT_C)) < 1
  }
}
