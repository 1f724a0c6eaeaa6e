import type { PrinterController } from './printer-controller.js'
import type { PrintProgress } from './print-progress.js'
import type { TemperatureReading } from './temperatures.js'

/** One reading of a printer's heaters; a heater the firmware did not report is left out. */
export interface TemperatureSample {
  at: number
  hotend?: number
  hotendTarget?: number
  bed?: number
  bedTarget?: number
}

/** How far back a printer's chart reaches. */
export const HISTORY_SPAN_MS = 30 * 60 * 1000
/** At most one sample a second is kept: 30 minutes of them. */
const SAMPLE_EVERY_MS = 1000
const MAX_SAMPLES = HISTORY_SPAN_MS / SAMPLE_EVERY_MS

type Watched = Pick<PrinterController, 'config' | 'on' | 'off' | 'status'>

/**
 * The last 30 minutes of each local printer's temperatures, in a bounded ring per printer, for a dashboard
 * that opens in the middle of a print and wants the chart so far.
 */
export class TemperatureHistory {
  private readonly samples = new Map<string, TemperatureSample[]>()

  /** Records each printer's readings as it reports them; returns what stops recording. */
  watch (printers: Watched[]): () => void {
    const stops = printers.map(printer => {
      const name = printer.config.name
      this.samples.set(name, [])
      const onProgress = (_jobId: string, progress: PrintProgress): void => { this.record(name, progress.temperatures) }
      const onState = (): void => { this.record(name, printer.status().temperatures) }
      printer.on('printer:progress', onProgress)
      printer.on('printer:state', onState)
      return () => {
        printer.off('printer:progress', onProgress)
        printer.off('printer:state', onState)
      }
    })
    return () => { for (const stop of stops) stop() }
  }

  /** The printer's samples of the last 30 minutes, oldest first; undefined for a printer not watched here. */
  of (name: string, now = Date.now()): TemperatureSample[] | undefined {
    return this.samples.get(name)?.filter(s => s.at >= now - HISTORY_SPAN_MS)
  }

  record (name: string, reading: TemperatureReading, at = Date.now()): void {
    const ring = this.samples.get(name)
    if (ring == null) return
    const sample = sampleOf(reading, at)
    if (sample == null) return
    const last = ring[ring.length - 1]
    if (last != null && at - last.at < SAMPLE_EVERY_MS) return
    ring.push(sample)
    const cutoff = at - HISTORY_SPAN_MS
    while (ring.length > MAX_SAMPLES || (ring.length > 0 && ring[0].at < cutoff)) ring.shift()
  }
}

function sampleOf (reading: TemperatureReading, at: number): TemperatureSample | undefined {
  const hotend = reading.T ?? reading.T0
  const bed = reading.B
  if (hotend == null && bed == null) return undefined
  const sample: TemperatureSample = { at }
  if (hotend != null) { sample.hotend = hotend.actual; if (hotend.target != null) sample.hotendTarget = hotend.target }
  if (bed != null) { sample.bed = bed.actual; if (bed.target != null) sample.bedTarget = bed.target }
  return sample
}
