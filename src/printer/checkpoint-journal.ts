import type { TemperatureReading } from './temperatures.js'

/** Where a print stood, journaled every few seconds so a crashed print can be resumed by an operator. */
export interface PrintCheckpoint {
  printer: string
  jobId: string
  gcodePath: string
  /** printing/paused: in progress when written. interrupted: stopped by a fault. finished: the part is on the bed. */
  status: 'printing' | 'paused' | 'interrupted' | 'finished'
  /** File line of the last command the printer acknowledged. */
  lastAckedLine: number
  /** Byte offset just past that line. */
  byteOffset: number
  z: number | null
  temperatures: TemperatureReading
  /** Milliseconds since the epoch. */
  time: number
  /** Why the print stopped, when it is interrupted. */
  reason?: string
}

/** The printer's durable memory: one checkpoint per printer, or none. */
export interface CheckpointJournal {
  read: (printer: string) => Promise<PrintCheckpoint | undefined>
  write: (checkpoint: PrintCheckpoint) => Promise<void>
  clear: (printer: string) => Promise<void>
}

/** The part of a `level` sublevel (`db.sublevel('printer', { valueEncoding: 'json' })`) the journal uses. */
export interface CheckpointStore {
  get: (key: string) => Promise<PrintCheckpoint | undefined>
  put: (key: string, value: PrintCheckpoint, options?: { sync?: boolean }) => Promise<void>
  del: (key: string, options?: { sync?: boolean }) => Promise<void>
}

/** Keeps checkpoints in LevelDB, synced to disk so a power cut does not lose where the print was. */
export class LevelCheckpointJournal implements CheckpointJournal {
  constructor (private readonly store: CheckpointStore) {}

  async read (printer: string): Promise<PrintCheckpoint | undefined> {
    return await this.store.get(key(printer))
  }

  async write (checkpoint: PrintCheckpoint): Promise<void> {
    await this.store.put(key(checkpoint.printer), checkpoint, { sync: true })
  }

  async clear (printer: string): Promise<void> {
    await this.store.del(key(printer), { sync: true })
  }
}

function key (printer: string): string {
  return `checkpoint/${printer}`
}
