/** One heater: its measured temperature and, where reported, its target. */
export interface HeaterReading {
  actual: number
  target?: number
}

/** Heaters by the firmware's name for them: `T` (active hotend), `T0`, `T1`, `B` (bed), `C` (chamber). */
export type TemperatureReading = Record<string, HeaterReading>

const HEATER = /(?:^|\s)(T\d?|B|C)\s*:\s*(-?\d+(?:\.\d+)?)(?:\s*\/\s*(-?\d+(?:\.\d+)?))?/g

/**
 * Temperatures from an `ok T:..` answer, an M105 report or an M155 auto-report, e.g.
 * `ok T:210.1 /210.0 B:60.0 /60.0 @:127 B@:0`; null when the line carries none.
 */
export function parseTemperatures (line: string): TemperatureReading | null {
  let reading: TemperatureReading | null = null
  for (const match of line.matchAll(HEATER)) {
    const actual = Number(match[2])
    if (!Number.isFinite(actual)) continue
    reading ??= {}
    const heater: HeaterReading = { actual }
    if (match[3] !== undefined && Number.isFinite(Number(match[3]))) heater.target = Number(match[3])
    reading[match[1]] = heater
  }
  return reading
}

/** The heater target a command sets (M104/M109 hotend, M140/M190 bed), so a resume can reheat to it. */
export function targetSetBy (command: string): { heater: 'T' | 'B', target: number } | null {
  // Nearly every line of a print is a G command: skip the regular expression for them.
  if (command.charCodeAt(0) !== 77 && command.charCodeAt(0) !== 109) return null
  const match = /^M(104|109|140|190)\b.*?\s[SR](\d+(?:\.\d+)?)/i.exec(command)
  if (match === null) return null
  return { heater: match[1] === '104' || match[1] === '109' ? 'T' : 'B', target: Number(match[2]) }
}
