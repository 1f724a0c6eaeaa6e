/**
 * Slicer settings that travel with a job (the RepRapCloud gateway's `--load=` config): Slic3r-style `key = value`
 * lines. Only the settings below pass, each a number in its range; every other line (start G-code, post-process
 * scripts, output names, anything that could run a program or name a path) is dropped. The requester checks
 * them to refuse a bad value before a job exists, and the slicing peer checks them again before --load.
 */
export const SLICER_SETTINGS_FILE = 'slicer-settings.ini'

/** Upper bound of the file: a full PrusaSlicer export is about 20 KiB. */
export const MAX_SLICER_SETTINGS_BYTES = 256 * 1024

interface Range {
  min: number
  max: number
  /** Also `N%`, as Slic3r writes fill_density and first_layer_height. */
  percent?: boolean
}

const SETTINGS: Record<string, Range> = {
  layer_height: { min: 0.01, max: 2 },
  first_layer_height: { min: 0.01, max: 2, percent: true },
  perimeters: { min: 0, max: 50 },
  top_solid_layers: { min: 0, max: 100 },
  bottom_solid_layers: { min: 0, max: 100 },
  fill_density: { min: 0, max: 100, percent: true },
  skirts: { min: 0, max: 20 },
  brim_width: { min: 0, max: 100 },
  temperature: { min: 0, max: 400 },
  first_layer_temperature: { min: 0, max: 400 },
  bed_temperature: { min: 0, max: 150 },
  first_layer_bed_temperature: { min: 0, max: 150 },
  extrusion_multiplier: { min: 0.1, max: 5 },
  perimeter_speed: { min: 1, max: 1000 },
  infill_speed: { min: 1, max: 1000 },
  travel_speed: { min: 1, max: 1000 },
  retract_length: { min: 0, max: 20 },
  support_material: { min: 0, max: 1 }
}

const NUMBER = /^\d{1,6}(?:\.\d{1,6})?$/

export class SlicerSettingsError extends Error {
  constructor (message: string) {
    super(`slicer settings: ${message}`)
    this.name = 'SlicerSettingsError'
  }
}

export interface CheckedSettings {
  /** The settings kept, as `key = value` lines sorted by key. */
  ini: string
  kept: string[]
  dropped: string[]
}

export function checkSlicerSettings (text: string): CheckedSettings {
  if (Buffer.byteLength(text) > MAX_SLICER_SETTINGS_BYTES) throw new SlicerSettingsError(`the file is larger than ${MAX_SLICER_SETTINGS_BYTES} bytes`)
  const kept = new Map<string, string>()
  const dropped: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue
    const eq = trimmed.indexOf('=')
    if (eq <= 0) throw new SlicerSettingsError(`"${trimmed.slice(0, 40)}" is not a key = value line`)
    const key = trimmed.slice(0, eq).trim()
    const value = trimmed.slice(eq + 1).trim()
    const range = SETTINGS[key]
    if (range == null) {
      dropped.push(key.slice(0, 64))
      continue
    }
    kept.set(key, checkValue(key, value, range))
  }
  if (kept.size === 0) throw new SlicerSettingsError(`none of the settings a job may carry is in the file (they are ${Object.keys(SETTINGS).join(', ')})`)
  const keys = [...kept.keys()].sort()
  return { ini: keys.map(k => `${k} = ${kept.get(k) as string}\n`).join(''), kept: keys, dropped }
}

function checkValue (key: string, value: string, range: Range): string {
  const percent = range.percent === true && value.endsWith('%')
  const digits = percent ? value.slice(0, -1) : value
  const number = Number(digits)
  if (!NUMBER.test(digits) || number < range.min || number > range.max) {
    throw new SlicerSettingsError(`${key} must be a number from ${range.min} to ${range.max}${range.percent === true ? ' (or a percentage)' : ''}, not "${value.slice(0, 20)}"`)
  }
  return percent ? `${number}%` : String(number)
}
