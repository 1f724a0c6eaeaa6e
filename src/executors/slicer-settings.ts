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
  /** Also `N%` from 0 to this, as Slic3r writes fill_density and first_layer_height. */
  percent?: number
  /** The same setting in CuraEngine's terms (its value times `scale`); none where Cura has no equal. */
  cura?: { key: string, scale?: number }
}

const SETTINGS: Record<string, Range> = {
  layer_height: { min: 0.01, max: 2, cura: { key: 'layer_height' } },
  first_layer_height: { min: 0.01, max: 2, percent: 1000 },
  perimeters: { min: 0, max: 50, cura: { key: 'wall_line_count' } },
  top_solid_layers: { min: 0, max: 100, cura: { key: 'top_layers' } },
  bottom_solid_layers: { min: 0, max: 100, cura: { key: 'bottom_layers' } },
  fill_density: { min: 0, max: 100, percent: 100, cura: { key: 'infill_sparse_density' } },
  skirts: { min: 0, max: 20, cura: { key: 'skirt_line_count' } },
  brim_width: { min: 0, max: 100, cura: { key: 'brim_width' } },
  temperature: { min: 0, max: 400, cura: { key: 'material_print_temperature' } },
  first_layer_temperature: { min: 0, max: 400, cura: { key: 'material_print_temperature_layer_0' } },
  bed_temperature: { min: 0, max: 150, cura: { key: 'material_bed_temperature' } },
  first_layer_bed_temperature: { min: 0, max: 150, cura: { key: 'material_bed_temperature_layer_0' } },
  extrusion_multiplier: { min: 0.1, max: 5, cura: { key: 'material_flow', scale: 100 } },
  perimeter_speed: { min: 1, max: 1000, cura: { key: 'speed_wall' } },
  infill_speed: { min: 1, max: 1000, cura: { key: 'speed_infill' } },
  travel_speed: { min: 1, max: 1000, cura: { key: 'speed_travel' } },
  retract_length: { min: 0, max: 20, cura: { key: 'retraction_amount' } },
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
  /** The kept settings CuraEngine has an equal of, as its `-s key=value` settings. */
  cura: Record<string, string>
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
  const cura: Record<string, string> = {}
  for (const key of keys) {
    const equal = SETTINGS[key].cura
    // Rounded to the 6 decimals a value may have: 0.95 x 100 is 95, not 95.00000000000001.
    if (equal != null) cura[equal.key] = String(Math.round(Number((kept.get(key) as string).replace(/%$/, '')) * (equal.scale ?? 1) * 1e6) / 1e6)
  }
  return { ini: keys.map(k => `${k} = ${kept.get(k) as string}\n`).join(''), kept: keys, dropped, cura }
}

function checkValue (key: string, value: string, range: Range): string {
  const percent = range.percent != null && value.endsWith('%')
  const digits = percent ? value.slice(0, -1) : value
  const number = Number(digits)
  const [min, max] = percent ? [0, range.percent as number] : [range.min, range.max]
  if (!NUMBER.test(digits) || number < min || number > max) {
    throw new SlicerSettingsError(`${key} must be a number from ${range.min} to ${range.max}${range.percent != null ? ` or a percentage up to ${range.percent}%` : ''}, not "${value.slice(0, 20)}"`)
  }
  return percent ? `${number}%` : String(number)
}
