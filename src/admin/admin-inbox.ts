import { openDocument, RefusedDocumentError, targets, type OpenedDocument } from './admin-document.js'
import type { AuditEntry, AuditLog } from './audit-log.js'
import type { DocumentStore } from './document-store.js'

export interface Addressee {
  /** This node's name and tags, as its config has them now. */
  self(): { name: string, tags: readonly string[] }
  /** The admin keys this node trusts now (trust.admin). */
  trusted(): readonly string[]
  /** Acts on a stored document meant for this node. */
  deliver(doc: OpenedDocument): Promise<void>
}

/** What became of a document handed to the inbox; `held` is a copy of one already held (no decision). */
export type Taken = { decision: 'held' } | AuditEntry

/**
 * Where every admin document arrives, from gossip, a sync or the local API: checked (signature, key, expiry,
 * revision newer than the one held for its kind and target), stored, logged, and delivered when it is for this
 * node. A refused document changes nothing but the audit log.
 */
export class AdminInbox {
  private readonly store: DocumentStore
  private readonly audit: AuditLog
  private readonly addressee: Addressee
  /** One document at a time: two copies arriving at once are not both newer than the held one. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (components: { store: DocumentStore, audit: AuditLog }, addressee: Addressee) {
    this.store = components.store
    this.audit = components.audit
    this.addressee = addressee
  }

  async take (bytes: Uint8Array, from: string): Promise<Taken> {
    const turn = this.queue.then(async () => this.judge(bytes, from))
    this.queue = turn.catch(() => {})
    return turn
  }

  private async judge (bytes: Uint8Array, from: string): Promise<Taken> {
    let doc: OpenedDocument
    try {
      doc = openDocument(bytes, this.addressee.trusted())
    } catch (err) {
      if (!(err instanceof RefusedDocumentError)) throw err
      return this.audit.append({ decision: 'refused', from, reason: err.message })
    }
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from }
    if (doc.kind === 'run') return this.audit.append({ ...about, decision: 'refused', reason: `a ${doc.kind} document is not passed around: it goes straight to its node` })
    const held = this.store.get(doc.key)
    if (held != null && held.signed === Buffer.from(bytes).toString('base64')) return { decision: 'held' }
    if (held != null && held.revision >= doc.revision) {
      return this.audit.append({ ...about, decision: 'refused', reason: `revision ${doc.revision} is not newer than revision ${held.revision} held for ${doc.key}` })
    }
    await this.store.put(doc)
    const entry = await this.audit.append({ ...about, decision: 'accepted' })
    if (targets(doc.target, this.addressee.self())) await this.addressee.deliver(doc)
    return entry
  }
}
