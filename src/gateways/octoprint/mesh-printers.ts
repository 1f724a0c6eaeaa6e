import { PrinterNotOperationalError } from './errors.js'
import type { KeyDefaults } from '../../config/octoprint-config.js'

/** A printer of the mesh as the `printers` method lists it. */
export interface MeshPrinter {
  name: string
  state: string
  material: string
  currentJob?: string
  progress?: number
  hotendC?: number
  bedC?: number
  peerName?: string
}

/**
 * Refuses a print no printer could take up: the key's printer missing or offline, or, for a key without one, a
 * mesh with no printer online (of the key's material, when it names one). A busy printer is no reason: the job
 * waits in the mesh for it.
 */
export function checkPrintable (printers: readonly MeshPrinter[], defaults: KeyDefaults): void {
  if (defaults.printer != null) {
    const named = printers.find(p => p.name === defaults.printer)
    if (named == null) throw new PrinterNotOperationalError(`Printer is not operational: the mesh has no printer named ${defaults.printer} (this key's printer)`)
    if (named.state === 'offline') throw new PrinterNotOperationalError(`Printer is not operational: ${named.name} is offline`)
    return
  }
  const online = printers.filter(p => p.state !== 'offline' && (defaults.material == null || p.material === defaults.material))
  if (online.length === 0) {
    throw new PrinterNotOperationalError(`Printer is not operational: no printer in the mesh is online${defaults.material == null ? '' : ` with ${defaults.material} loaded`}`)
  }
}

/**
 * The one printer a key's client watches: the key's own, else the one printing the key's last job, else the
 * mesh's only printer. Undefined when none of these picks one.
 */
export function watchedPrinter (printers: readonly MeshPrinter[], defaults: KeyDefaults, lastJob: string | undefined): MeshPrinter | undefined {
  if (defaults.printer != null) return printers.find(p => p.name === defaults.printer)
  const printing = lastJob == null ? undefined : printers.find(p => p.currentJob === lastJob)
  return printing ?? (printers.length === 1 ? printers[0] : undefined)
}
