import { targetSetBy, type TemperatureReading } from './temperatures.js'

const HEAT_WAIT = /^(M109|M190)\b/i
/** A heater this close to its target has reached it: the draw has dropped to holding. */
const REACHED_WITHIN_C = 2

/**
 * Follows the heat-up at the start of one print: from the first heater target above zero the commands send
 * until every heater with a target has reached it, and no wait for a heater (M109/M190) is still owed.
 */
export class HeatUp {
  private phase: 'cold' | 'heating' | 'done' = 'cold'
  private readonly targets = new Map<'T' | 'B', number>()
  private readonly reached = new Set<'T' | 'B'>()
  private waitsOwed = 0

  get heating (): boolean { return this.phase === 'heating' }

  /** Whether `command` would start the heat-up: the first to set a heater above zero. */
  starts (command: string): boolean {
    return this.phase === 'cold' && (targetSetBy(command)?.target ?? 0) > 0
  }

  /** `command` goes to the firmware (once, whatever the resends). */
  sent (command: string): void {
    if (this.phase === 'done') return
    const set = targetSetBy(command)
    if (set === null) return
    if (set.target > 0) {
      this.phase = 'heating'
      this.targets.set(set.heater, set.target)
    } else this.targets.delete(set.heater)
    this.reached.delete(set.heater)
    if (HEAT_WAIT.test(command)) this.waitsOwed++
  }

  /** The firmware acknowledged `command`: a heater wait it answers has reached its target. */
  acknowledged (command: string): void {
    if (this.phase !== 'heating' || !HEAT_WAIT.test(command)) return
    this.waitsOwed = Math.max(0, this.waitsOwed - 1)
    const set = targetSetBy(command)
    if (set !== null) this.reached.add(set.heater)
  }

  /** True once, when the heat-up ends with these readings. */
  ends (readings: TemperatureReading): boolean {
    if (this.phase !== 'heating' || this.waitsOwed > 0) return false
    for (const [heater, target] of this.targets) {
      const actual = readings[heater]?.actual ?? readings[`${heater}0`]?.actual
      if (!this.reached.has(heater) && (actual === undefined || Math.abs(actual - target) > REACHED_WITHIN_C)) return false
    }
    this.phase = 'done'
    return true
  }
}

/** What a print asks before it heats: a slot of the power budget, for a printer that has one. */
export interface HeatGate {
  /** Resolves when the printer may heat; rejects once `signal` aborts. */
  acquire: (signal: AbortSignal) => Promise<void>
  release: () => void
}
