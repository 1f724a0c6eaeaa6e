import type { GcodeFileCommand } from './gcode-file.js'
import type { TemperatureReading } from './temperatures.js'

/** What an operator watches during a print. */
export interface PrintProgress {
  linesAcked: number
  linesTotal: number
  bytesAcked: number
  bytesTotal: number
  /** File line of the last command the printer acknowledged: where a resume would pick up after. */
  lastFileLine: number
  z: number | null
  /** Counts rises of Z to a new height, which is what a layer is for a slicer's output. */
  layer: number
  temperatures: TemperatureReading
  elapsedMs: number
  /** Extrapolated from bytes done so far; null until there is something to extrapolate from. */
  remainingMs: number | null
}

const Z_WORD = /(?:^|\s)Z(-?\d*\.?\d+)/i

/** Folds acknowledged commands into progress figures. */
export class ProgressTracker {
  private linesAcked = 0
  private bytesAcked: number
  private lastFileLine: number
  private z: number | null = null
  private topZ = -Infinity
  private layer = 0
  private temperatures: TemperatureReading = {}
  private readonly startedAt = Date.now()
  private readonly startBytes: number

  constructor (private readonly linesTotal: number, private readonly bytesTotal: number, startFileLine = 1, startByte = 0) {
    this.lastFileLine = startFileLine - 1
    this.bytesAcked = startByte
    this.startBytes = startByte
  }

  acknowledge (command: GcodeFileCommand): void {
    this.linesAcked++
    this.bytesAcked = command.byteEnd
    this.lastFileLine = command.fileLine
    // Most moves carry no Z; a plain search spares them the regular expressions.
    const text = command.command
    if ((text.includes('Z') || text.includes('z')) && /^G[0-3]\b/i.test(text)) {
      const z = Z_WORD.exec(text)
      if (z !== null) {
        this.z = Number(z[1])
        if (this.z > this.topZ) {
          this.topZ = this.z
          this.layer++
        }
      }
    }
  }

  temperaturesSeen (reading: TemperatureReading): void {
    this.temperatures = { ...this.temperatures, ...reading }
  }

  snapshot (): PrintProgress {
    const elapsedMs = Date.now() - this.startedAt
    const done = this.bytesAcked - this.startBytes
    const left = this.bytesTotal - this.bytesAcked
    return {
      linesAcked: this.linesAcked,
      linesTotal: this.linesTotal,
      bytesAcked: this.bytesAcked,
      bytesTotal: this.bytesTotal,
      lastFileLine: this.lastFileLine,
      z: this.z,
      layer: this.layer,
      temperatures: this.temperatures,
      elapsedMs,
      remainingMs: done > 0 ? Math.round(elapsedMs * left / done) : null
    }
  }
}
