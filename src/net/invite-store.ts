import { randomBytes } from 'node:crypto'
import type { MeshDb } from '../store/open-db.js'
import type { InviteKeys } from './invite-crypto.js'

/**
 * An invite as the inviting peer keeps it in LevelDB, so that a used code stays used across restarts. The
 * secret itself is not kept, only the two keys derived from it, and the seal key is dropped once the code
 * is used: what is left can recognise the code (to say "used") but hand nothing over.
 */
export interface InviteRecord {
  id: string
  proofKey: string
  sealKey?: string
  createdAt: number
  expiresAt: number
  usedAt?: number
  /** The port the invite listener had, so a restarted peer can listen there again for this code. */
  port: number
}

/** Open invites at once: the listener checks a proof against each, so their number is bounded. */
export const MAX_INVITES = 32
/** A record outlives its code by this much, so a late joiner hears "expired" rather than "wrong code". */
const KEEP_AFTER_EXPIRY_MS = 3600_000

export class TooManyInvitesError extends Error {
  constructor () {
    super(`${MAX_INVITES} invites are open already: wait until one is used or expires`)
    this.name = 'TooManyInvitesError'
  }
}

export class InviteStore {
  private readonly records

  constructor (db: MeshDb) {
    this.records = db.sublevel<string, InviteRecord>('invites', { valueEncoding: 'json' })
  }

  async add (keys: InviteKeys, expiresAt: number, port: number): Promise<InviteRecord> {
    await this.prune()
    if ((await this.unexpired()).length >= MAX_INVITES) throw new TooManyInvitesError()
    const record: InviteRecord = {
      id: randomBytes(8).toString('hex'),
      proofKey: Buffer.from(keys.proofKey).toString('base64'),
      sealKey: Buffer.from(keys.sealKey).toString('base64'),
      createdAt: Date.now(),
      expiresAt,
      port
    }
    await this.records.put(record.id, record)
    return record
  }

  async markUsed (record: InviteRecord): Promise<void> {
    await this.records.put(record.id, { ...withoutSealKey(record), usedAt: Date.now() })
  }

  async all (): Promise<InviteRecord[]> {
    return this.records.values().all()
  }

  /** The invites whose codes still work or may still be shown: not expired. */
  async unexpired (now = Date.now()): Promise<InviteRecord[]> {
    return (await this.all()).filter(r => r.expiresAt > now)
  }

  async prune (now = Date.now()): Promise<void> {
    for (const record of await this.all()) {
      if (record.expiresAt + KEEP_AFTER_EXPIRY_MS < now) await this.records.del(record.id)
      else if (record.expiresAt <= now && record.sealKey != null) await this.records.put(record.id, withoutSealKey(record))
    }
  }
}

function withoutSealKey (record: InviteRecord): InviteRecord {
  const { sealKey: _dropped, ...rest } = record
  return rest
}
