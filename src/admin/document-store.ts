import type { MeshDb } from '../store/open-db.js'
import type { OpenedDocument } from './admin-document.js'

const PREFIX = 'admin:doc:'
/** Document keys a node holds at most: one per kind and target an admin used. */
export const MAX_HELD_DOCUMENTS = 1024

export interface HeldDocument {
  key: string
  revision: number
  expiresAt: number
  /** The signed bytes, base64: they are passed on and checked again exactly as the admin signed them. */
  signed: string
}

/** The newest document of each key this node has accepted, for itself or for peers that were away. */
export class DocumentStore {
  private readonly db: MeshDb
  private readonly held = new Map<string, HeldDocument>()

  constructor (db: MeshDb) {
    this.db = db
  }

  async start (): Promise<void> {
    for await (const value of this.db.values({ gte: PREFIX, lt: PREFIX + '~' })) this.held.set(value.key, value)
  }

  get (key: string): HeldDocument | undefined {
    return this.held.get(key)
  }

  /** Every held document that has not expired. */
  all (now = Date.now()): HeldDocument[] {
    return [...this.held.values()].filter(d => d.expiresAt > now)
  }

  /** Keeps a document over an older one of its key; the caller has checked it is newer. */
  async put (doc: OpenedDocument): Promise<void> {
    if (!this.held.has(doc.key) && this.held.size >= MAX_HELD_DOCUMENTS) await this.dropOldest()
    const held: HeldDocument = { key: doc.key, revision: doc.revision, expiresAt: doc.expiresAt, signed: Buffer.from(doc.bytes).toString('base64') }
    await this.db.put(PREFIX + doc.key, held)
    this.held.set(doc.key, held)
  }

  private async dropOldest (): Promise<void> {
    const oldest = [...this.held.values()].sort((a, b) => a.expiresAt - b.expiresAt)[0]
    this.held.delete(oldest.key)
    await this.db.del(PREFIX + oldest.key)
  }
}
