import type { PrinterConfig } from './printer-config.js'

/** What a print stage asks of a printer. Absent fields ask nothing. */
export interface PrintRequirements {
  material?: string
  nozzleMm?: number
  /** The part's bounding box, which must fit the build volume. */
  bedMm?: { x: number, y: number, z: number }
}

/** Nozzle sizes are written as 0.4 or 0.40; anything closer than this is the same nozzle. */
const NOZZLE_TOLERANCE_MM = 0.001

/**
 * Why this printer cannot take a print with these requirements, in words an operator reads in
 * `meshnode job ID`; null when it can. Looks at the printer's make-up only, not at its state.
 */
export function printerRefusal (printer: Pick<PrinterConfig, 'material' | 'nozzleMm' | 'bed'>, needs: PrintRequirements): string | null {
  if (needs.material !== undefined && needs.material.trim().toUpperCase() !== printer.material.trim().toUpperCase()) {
    return `loaded material is ${printer.material}, job needs ${needs.material}`
  }
  if (needs.nozzleMm !== undefined && Math.abs(needs.nozzleMm - printer.nozzleMm) > NOZZLE_TOLERANCE_MM) {
    return `nozzle is ${printer.nozzleMm} mm, job needs ${needs.nozzleMm} mm`
  }
  if (needs.bedMm !== undefined) {
    const { x, y, z } = needs.bedMm
    const bed = printer.bed
    if (x > bed.x || y > bed.y || z > bed.z) return `build volume is ${bed.x}x${bed.y}x${bed.z} mm, job needs ${x}x${y}x${z} mm`
  }
  return null
}
