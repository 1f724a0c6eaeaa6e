import type { Printer } from '../../protocols/capability.js'

/** What a slicer profile is made for. */
export interface ProfileMakeUp {
  name: string
  material: string
  nozzleMm: number
}

const NOZZLE_TOLERANCE_MM = 0.001

/**
 * The profile to slice a part with when the job names none and a print follows: one made for the material
 * and nozzle of printers in the mesh, so the G-code fits the printers that will print it (its facts then send
 * the print to that class only). The class with the most idle printers wins, then the one with the most
 * printers, then the profile's name. Undefined when no printer has a profile: the slicer's default then.
 */
export function profileForPrinters (printers: readonly Printer[], profiles: readonly ProfileMakeUp[]): ProfileMakeUp | undefined {
  const scored = profiles.map(profile => {
    const fitting = printers.filter(p => p.material.trim().toUpperCase() === profile.material.trim().toUpperCase() && Math.abs(p.nozzleMm - profile.nozzleMm) <= NOZZLE_TOLERANCE_MM)
    return { profile, idle: fitting.filter(p => p.state === 'idle').length, all: fitting.length }
  }).filter(s => s.all > 0)
  scored.sort((a, b) => b.idle - a.idle || b.all - a.all || (a.profile.name < b.profile.name ? -1 : a.profile.name > b.profile.name ? 1 : 0))
  return scored[0]?.profile
}
