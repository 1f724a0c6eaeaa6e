import { FACT_NAME, NOZZLE_RANGE_MM } from './gcode-facts.js'
import type { PrinterConfig } from './printer-config.js'
import type { PrinterLoad } from './printer-controller.js'
import type { MeshDb } from '../store/open-db.js'

export class PrinterLoadError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PrinterLoadError'
  }
}

/** A load as kept: what it set, over which make-up of the config. */
interface KeptLoad {
  load: PrinterLoad
  over: { material: string, nozzleMm: number }
}

/**
 * What operators loaded into this node's printers (`meshnode printer load`), kept so a restart finds the same
 * filament and nozzle. A load outlives restarts until the config itself changes the printer's material or
 * nozzle: the edited config is the newer word.
 */
export class PrinterLoads {
  private readonly kept

  constructor (db: MeshDb) {
    this.kept = db.sublevel<string, KeptLoad>('printer-load', { valueEncoding: 'json' })
  }

  /** The load to apply over the printer's `config` (as its file says) at start, if one was kept over this same config. */
  async read (config: PrinterConfig): Promise<PrinterLoad | undefined> {
    const kept = await this.kept.get(config.name)
    return kept !== undefined && sameMakeUp(kept, config) ? kept.load : undefined
  }

  /** Adds `load` to what was kept over `config` (as its file says). */
  async write (config: PrinterConfig, load: PrinterLoad): Promise<void> {
    const before = await this.kept.get(config.name)
    const merged = before !== undefined && sameMakeUp(before, config) ? { ...before.load, ...load } : load
    await this.kept.put(config.name, { load: merged, over: { material: config.material, nozzleMm: config.nozzleMm } })
  }
}

function sameMakeUp (kept: KeptLoad, config: PrinterConfig): boolean {
  return kept.over.material === config.material && kept.over.nozzleMm === config.nozzleMm
}

/** An operator's words, checked as a config's would be: `material` as slicers name it, `nozzleMm` in its range. */
export function parsePrinterLoad (material: unknown, nozzleMm: unknown): PrinterLoad {
  const load: PrinterLoad = {}
  if (material !== undefined && material !== null) {
    if (typeof material !== 'string' || !FACT_NAME.test(material)) throw new PrinterLoadError(`a material is letters, digits, spaces and "+._-", up to 64 characters (e.g. PETG); got ${JSON.stringify(material)}`)
    load.material = material
  }
  if (nozzleMm !== undefined && nozzleMm !== null) {
    const mm = Number(nozzleMm)
    const [min, max] = NOZZLE_RANGE_MM
    if (!Number.isFinite(mm) || mm < min || mm > max) throw new PrinterLoadError(`a nozzle is ${min} to ${max} mm; got ${JSON.stringify(nozzleMm)}`)
    load.nozzleMm = mm
  }
  if (load.material === undefined && load.nozzleMm === undefined) throw new PrinterLoadError('say what was loaded: a material, --nozzle MM, or both')
  return load
}
