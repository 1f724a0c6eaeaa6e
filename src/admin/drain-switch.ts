import type { Refusal } from '../jobs/job.js'
import type { MeshDb } from '../store/open-db.js'

const KEY = 'admin:drained'

/** Drained: the node bids for no new stage and finishes what it has. Kept over restarts until undrained. */
export class DrainSwitch {
  private readonly db: MeshDb
  drained = false

  constructor (db: MeshDb) {
    this.db = db
  }

  async load (): Promise<void> {
    this.drained = (await this.db.get(KEY)) === true
  }

  async set (drained: boolean): Promise<void> {
    await this.db.put(KEY, drained)
    this.drained = drained
  }

  /** A semantic bid strategy: every stage refused for now while drained (a stage no one else takes waits). */
  readonly refusal = (): Refusal | null => this.drained ? { reason: 'is drained by an admin (meshnode admin run --to NODE undrain)', busy: true } : null
}
