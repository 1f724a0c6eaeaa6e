import type { GcodeFacts } from '../../protocols/market.js'
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
 * Why this printer cannot take a print with these requirements, every reason at once, in words an operator
 * reads in `meshnode job ID`; null when it can. Looks at the printer's make-up only, not at its state.
 */
export function printerRefusal (printer: Pick<PrinterConfig, 'material' | 'nozzleMm' | 'bed'>, needs: PrintRequirements): string | null {
  const reasons: string[] = []
  if (needs.material !== undefined && needs.material.trim().toUpperCase() !== printer.material.trim().toUpperCase()) {
    reasons.push(`loaded material is ${printer.material}, job needs ${needs.material}`)
  }
  if (needs.nozzleMm !== undefined && Math.abs(needs.nozzleMm - printer.nozzleMm) > NOZZLE_TOLERANCE_MM) {
    reasons.push(`nozzle is ${printer.nozzleMm} mm, job needs ${needs.nozzleMm} mm`)
  }
  if (needs.bedMm !== undefined) {
    const { x, y, z } = needs.bedMm
    const bed = printer.bed
    if (x > bed.x || y > bed.y || z > bed.z) reasons.push(`build volume is ${bed.x}x${bed.y}x${bed.z} mm, job needs ${x}x${y}x${z} mm`)
  }
  return reasons.length > 0 ? reasons.join('; ') : null
}

/**
 * What a print stage asks: the material the submitter named, else the one its G-code was sliced for; the
 * G-code's nozzle and the box its moves fill. Unknown facts ask nothing.
 */
export function printRequirements (material: string, gcode: GcodeFacts | undefined): PrintRequirements {
  const needs: PrintRequirements = {}
  const wanted = material !== '' ? material : gcode?.material ?? ''
  if (wanted !== '') needs.material = wanted
  if (gcode == null) return needs
  if (gcode.nozzleMm > 0) needs.nozzleMm = gcode.nozzleMm
  if (gcode.extentXMm > 0 || gcode.extentYMm > 0 || gcode.extentZMm > 0) needs.bedMm = { x: gcode.extentXMm, y: gcode.extentYMm, z: gcode.extentZMm }
  return needs
}
