import { ConfigError } from '../config/config-error.js'
import { expectObject, join, optBoolean, optNumber, optString, optStringArray, rejectUnknown } from '../config/fields.js'
import { parseGcodePolicy, type GcodePolicyConfig } from './gcode-policy.js'
import { parseFaultSpec, FaultSpecError, type VirtualFault } from './virtual/fault-spec.js'

/** Options of the in-process virtual printer behind port "virtual". */
export interface VirtualPrinterConfig {
  speedUp: number
  faults: VirtualFault[]
  /** Every command the virtual printer runs is appended here. */
  recordFile?: string
  /** When each heater target was set and reached: see VirtualPrinterOptions. */
  heatLogFile?: string
  seed?: number
}

/** One printer attached to this node: the `printers[i]` section of a node config. */
export interface PrinterConfig {
  name: string
  /** A serial device path, or "virtual" for a virtual printer in this process. */
  port: string
  baud: number
  bed: { x: number, y: number, z: number }
  nozzleMm: number
  material: string
  /** A printer with a belt or an ejector needs no operator between prints. */
  bedClearsItself: boolean
  parkGcode?: string[]
  resumeGcode?: string[]
  cancelGcode?: string[]
  /** What prints from other peers may not carry, beyond or short of the default deny-list. */
  gcodePolicy?: GcodePolicyConfig
  virtual?: VirtualPrinterConfig
}

export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 250000, 460800, 500000, 921600, 1000000] as const

const FIELDS = ['name', 'port', 'baud', 'bed', 'nozzleMm', 'material', 'bedClearsItself', 'parkGcode', 'resumeGcode', 'cancelGcode', 'gcodePolicy', 'virtual']
export const PRINTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Defaults for what the `--printer NAME=PATH[:BAUD]` flag cannot say. */
const FLAG_DEFAULTS = { bed: { x: 220, y: 220, z: 250 }, nozzleMm: 0.4, material: 'PLA' }

export function parsePrinterConfig (raw: unknown, field: string): PrinterConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, FIELDS, field)
  const config: PrinterConfig = {
    name: required(optString(obj, 'name', field, 64), field, 'name'),
    port: required(optString(obj, 'port', field), field, 'port'),
    baud: parseBaud(obj.baud ?? 115200, join(field, 'baud')),
    bed: parseBed(obj.bed, join(field, 'bed')),
    nozzleMm: required(optNumber(obj, 'nozzleMm', field, 0.05, 5), field, 'nozzleMm'),
    material: required(optString(obj, 'material', field, 64), field, 'material'),
    bedClearsItself: optBoolean(obj, 'bedClearsItself', field) ?? false
  }
  if (!PRINTER_NAME.test(config.name)) throw new ConfigError(join(field, 'name'), 'must be letters, digits, "_", "." or "-", starting with a letter or digit')
  for (const key of ['parkGcode', 'resumeGcode', 'cancelGcode'] as const) {
    const lines = optStringArray(obj, key, field)
    if (lines !== undefined) config[key] = lines
  }
  if (obj.gcodePolicy !== undefined) config.gcodePolicy = parseGcodePolicy(obj.gcodePolicy, join(field, 'gcodePolicy'))
  if (obj.virtual !== undefined) config.virtual = parseVirtual(obj.virtual, join(field, 'virtual'))
  return config
}

/** `--printer NAME=PATH[:BAUD]`, e.g. `mk3=/dev/ttyUSB0:115200` or `demo=virtual`; the rest takes defaults. */
export function parsePrinterFlag (spec: string, field = '--printer'): PrinterConfig {
  const match = /^([^=]+)=([^:]+)(?::(\d+))?$/.exec(spec)
  if (match === null) throw new ConfigError(field, `expected NAME=PATH[:BAUD], got "${spec}"`)
  const [, name, port, baud] = match
  return parsePrinterConfig({ name, port, ...(baud === undefined ? {} : { baud: Number(baud) }), ...FLAG_DEFAULTS }, `${field} ${name}`)
}

function required<T> (value: T | undefined, field: string, key: string): T {
  if (value === undefined) throw new ConfigError(join(field, key), 'is required')
  return value
}

function parseBaud (value: unknown, field: string): number {
  if (typeof value !== 'number' || !(BAUD_RATES as readonly number[]).includes(value)) {
    throw new ConfigError(field, `must be one of ${BAUD_RATES.join(', ')}`)
  }
  return value
}

function parseBed (raw: unknown, field: string): PrinterConfig['bed'] {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['x', 'y', 'z'], field)
  const axis = (key: string): number => required(optNumber(obj, key, field, 1, 10000), field, key)
  return { x: axis('x'), y: axis('y'), z: axis('z') }
}

function parseVirtual (raw: unknown, field: string): VirtualPrinterConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['speedUp', 'faults', 'recordFile', 'heatLogFile', 'seed'], field)
  const faults = (optStringArray(obj, 'faults', field) ?? []).map((spec, i) => {
    try {
      return parseFaultSpec(spec)
    } catch (err) {
      if (err instanceof FaultSpecError) throw new ConfigError(`${join(field, 'faults')}[${i}]`, err.message)
      throw err
    }
  })
  const config: VirtualPrinterConfig = { speedUp: optNumber(obj, 'speedUp', field, 1, 10000) ?? 1, faults }
  const recordFile = optString(obj, 'recordFile', field)
  if (recordFile !== undefined) config.recordFile = recordFile
  const heatLogFile = optString(obj, 'heatLogFile', field)
  if (heatLogFile !== undefined) config.heatLogFile = heatLogFile
  const seed = optNumber(obj, 'seed', field, 0, 2 ** 32 - 1)
  if (seed !== undefined) config.seed = seed
  return config
}
