import type { MeshDb } from '../store/open-db.js'

/** The entries kept; older ones are dropped as new ones come. */
export const MAX_AUDIT_ENTRIES = 10_000
const PREFIX = 'admin:log:'

/** accepted: stored (and passed on); applied/rejected: the node acted on it, or could not; refused: not obeyed. */
export type Decision = 'accepted' | 'applied' | 'rejected' | 'refused' | 'ran'

export interface AuditEntry {
  seq: number
  at: number
  decision: Decision
  /** The document's kind and target, when it could be read. */
  key?: string
  revision?: number
  admin?: string
  /** The peer it came from: `api` for the local API. */
  from: string
  reason?: string
}

/** Every decision this node made about an admin document, in LevelDB, newest last. */
export class AuditLog {
  private readonly db: MeshDb
  private seq = 0

  constructor (db: MeshDb) {
    this.db = db
  }

  async start (): Promise<void> {
    for await (const key of this.db.keys({ gte: PREFIX, lt: PREFIX + '~', reverse: true, limit: 1 })) this.seq = Number(key.slice(PREFIX.length))
  }

  async append (entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<AuditEntry> {
    const full: AuditEntry = { seq: ++this.seq, at: Date.now(), ...entry }
    const batch = this.db.batch().put(keyOf(full.seq), full)
    if (full.seq > MAX_AUDIT_ENTRIES) batch.del(keyOf(full.seq - MAX_AUDIT_ENTRIES))
    await batch.write()
    return full
  }

  /** The newest `limit` entries, oldest first. */
  async recent (limit: number): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = []
    for await (const value of this.db.values({ gte: PREFIX, lt: PREFIX + '~', reverse: true, limit })) entries.push(value)
    return entries.reverse()
  }
}

function keyOf (seq: number): string {
  return PREFIX + String(seq).padStart(12, '0')
}
