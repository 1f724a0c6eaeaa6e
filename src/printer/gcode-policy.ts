import { ConfigError } from '../config/config-error.js'
import { expectObject, join, optStringArray, rejectUnknown } from '../config/fields.js'

/** `printers[i].gcodePolicy`: codes added to the default deny-list, and codes taken out of it. */
export interface GcodePolicyConfig {
  deny: string[]
  allow: string[]
}

/**
 * Firmware commands a print from another peer may not send, and why (SECURITY.md carries the same table).
 * Denied by code, whatever the parameters: `M302 S170` only sets the cold-extrusion floor, but `M302 S0`
 * removes it as surely as `M302 P1`, and no slicer writes any M302; a parameter-aware list would have to
 * know every firmware's reading of every parameter, and a miss is a safety check turned off.
 */
export const DEFAULT_DENIED: ReadonlyArray<{ codes: string, why: string }> = [
  { codes: 'M23-M24', why: 'select and start a file on the printer\'s SD card: G-code that was never screened' },
  { codes: 'M28-M30', why: 'write or delete files on the printer\'s SD card (a file run at boot, or the owner\'s prints)' },
  { codes: 'M32', why: 'select and start an SD card file: G-code that was never screened' },
  { codes: 'M42-M43', why: 'set or toggle any pin, a heater\'s MOSFET included, past thermal protection' },
  { codes: 'M110', why: 'resets the line number the host counts on: the print desynchronises and resends fail' },
  { codes: 'M112', why: 'emergency stop: halts the firmware until someone resets the printer' },
  { codes: 'M118', why: 'echoes text to the host: a fake "ok", "Error:" or "//action:" line misleads the host' },
  { codes: 'M121', why: 'disables endstops: axes drive into the frame' },
  { codes: 'M211', why: 'disables software endstops: axes drive past the build volume' },
  { codes: 'M260-M261', why: 'raw I2C traffic to any device on the printer\'s bus' },
  { codes: 'M301', why: 'sets hotend PID values: bad values overshoot or oscillate the heater' },
  { codes: 'M302', why: 'allows cold extrusion (P1, S0): grinds filament and jams the extruder' },
  { codes: 'M303', why: 'PID autotune: heats unattended to a temperature the job picks' },
  { codes: 'M304', why: 'sets bed PID values: bad values overshoot or oscillate the heater' },
  { codes: 'M500-M502', why: 'save settings to EEPROM, load them, or reset them to factory: lasting changes to calibration' },
  { codes: 'M851', why: 'sets the probe\'s Z offset: the nozzle crashes into the bed (and M500 would keep it)' },
  { codes: 'M997', why: 'firmware update: replaces the printer\'s firmware' },
  { codes: 'M999', why: 'restarts a firmware that stopped on an error (thermal runaway) without anyone looking' }
]

/** A code (`M303`) or a range of one letter (`M500-M502`); the second letter may be left out (`M500-502`). */
const ENTRY = /^([GMT])(\d{1,4})(?:-([GMT])?(\d{1,4}))?$/i
/** Leading line number, command letter, optional spaces (Marlin skips them), the number with any zeros. */
const COMMAND = /^\s*(?:N\d+\s*)?([A-Za-z])\s*(\d+)/
const MAX_RANGE = 1000

/** Which firmware commands a print from another peer may carry. */
export class GcodePolicy {
  private readonly denied: ReadonlySet<string>
  /** Lower-case letters of the denied codes: nearly every line of a print is a G move, and most lists deny no G. */
  private readonly letters: ReadonlySet<string>

  constructor (config: GcodePolicyConfig = { deny: [], allow: [] }) {
    const denied = new Set(DEFAULT_DENIED.flatMap(d => expandEntry(d.codes)))
    for (const entry of config.deny) for (const code of expandEntry(entry)) denied.add(code)
    for (const entry of config.allow) for (const code of expandEntry(entry)) denied.delete(code)
    this.denied = denied
    this.letters = new Set([...denied].map(code => code[0].toLowerCase()))
  }

  /** The denied code a command of a file line (comments stripped) runs, e.g. `M303`; null when it may run. */
  refuses (command: string): string | null {
    const first = command[0]?.toLowerCase()
    if (first !== undefined && first !== 'n' && first !== ' ' && first !== '\t' && !this.letters.has(first)) return null
    const match = COMMAND.exec(command)
    if (match === null) return null
    const code = `${match[1].toUpperCase()}${Number(match[2])}`
    return this.denied.has(code) ? code : null
  }
}

/** Checks `printers[i].gcodePolicy`, naming the entry it rejects. */
export function parseGcodePolicy (raw: unknown, field: string): GcodePolicyConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['deny', 'allow'], field)
  const list = (key: 'deny' | 'allow'): string[] => (optStringArray(obj, key, field) ?? []).map((entry, i) => {
    try {
      expandEntry(entry)
    } catch (err) {
      if (err instanceof GcodeEntryError) throw new ConfigError(`${join(field, key)}[${i}]`, err.message)
      throw err
    }
    return entry.trim().toUpperCase()
  })
  return { deny: list('deny'), allow: list('allow') }
}

class GcodeEntryError extends Error {
  constructor (entry: string, why: string) {
    super(`"${entry}" ${why}`)
    this.name = 'GcodeEntryError'
  }
}

function expandEntry (entry: string): string[] {
  const match = ENTRY.exec(entry.trim())
  if (match === null) throw new GcodeEntryError(entry, 'is not a G-code like "M303" or a range like "M500-M502"')
  const letter = match[1].toUpperCase()
  const first = Number(match[2])
  if (match[3] !== undefined && match[3].toUpperCase() !== letter) throw new GcodeEntryError(entry, 'is a range over two letters')
  const last = match[4] === undefined ? first : Number(match[4])
  if (last < first || last - first >= MAX_RANGE) throw new GcodeEntryError(entry, `must run upwards over at most ${MAX_RANGE} codes`)
  return Array.from({ length: last - first + 1 }, (_, i) => `${letter}${first + i}`)
}
