import { logger } from '@libp2p/logger'
import type { NodeConfig } from '../config/node-config.js'
import type { MeshDb } from '../store/open-db.js'
import { openDocument, targets, type OpenedDocument } from './admin-document.js'
import type { AuditLog } from './audit-log.js'
import type { ConfigLayers } from './config-layers.js'
import type { DocumentStore } from './document-store.js'

const log = logger('meshnode:admin')
const STATE_KEY = 'admin:config-state'

/** The config document this node runs with, and the last one it could not take. */
export interface ConfigState {
  /** 0 before any. */
  revision: number
  /** What that document set: laid over the node's file again after a restart, even once the document has expired. */
  body?: unknown
  rejected?: { revision: number, reason: string }
}

export interface DesiredConfigInit {
  layers: ConfigLayers
  /** Runs the node with a new config, as SIGHUP does. */
  reload(config: NodeConfig): Promise<void>
  self(): { name: string, tags: readonly string[] }
  trusted(): readonly string[]
}

/**
 * Applies config documents meant for this node: the newest wins, laid over the node's own file. One that does
 * not validate or names a field a document cannot set is rejected with that field, and the running config stays.
 */
export class DesiredConfig {
  private readonly db: MeshDb
  private readonly audit: AuditLog
  private readonly store: DocumentStore
  private readonly init: DesiredConfigInit
  state: ConfigState = { revision: 0 }

  constructor (components: { db: MeshDb, audit: AuditLog, store: DocumentStore }, init: DesiredConfigInit) {
    this.db = components.db
    this.audit = components.audit
    this.store = components.store
    this.init = init
  }

  /** After a restart: the config the node ran with is laid over its file again, then a newer one held is applied. */
  async start (): Promise<void> {
    this.state = await this.db.get(STATE_KEY) ?? this.state
    if (this.state.body != null) {
      await this.run(this.state.body).catch((err: Error) => { log.error('the config of revision %d no longer fits this node: %s', this.state.revision, err.message) })
    }
    const newest = this.held().sort((a, b) => b.revision - a.revision)[0]
    if (newest != null && newest.revision > this.state.revision && newest.revision !== this.state.rejected?.revision) await this.offer(newest)
  }

  /** A document meant for this node, just accepted. */
  async offer (doc: OpenedDocument): Promise<void> {
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from: 'self' }
    if (doc.revision <= this.state.revision) {
      await this.audit.append({ ...about, decision: 'refused', reason: `revision ${doc.revision} is older than the config revision ${this.state.revision} this node runs` })
      return
    }
    try {
      await this.run(doc.body)
      this.state = { revision: doc.revision, body: doc.body }
      await this.audit.append({ ...about, decision: 'applied' })
    } catch (err: any) {
      this.state = { ...this.state, rejected: { revision: doc.revision, reason: err.message } }
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
    }
    await this.db.put(STATE_KEY, this.state)
  }

  /** Held config documents meant for this node that are newer than the one it runs. */
  pending (): number {
    return this.held().filter(d => d.revision > this.state.revision && d.revision !== this.state.rejected?.revision).length
  }

  private async run (body: unknown): Promise<void> {
    const config = this.init.layers.withDesired(body)
    await this.init.reload(config)
    this.init.layers.adopt(body)
  }

  private held (): OpenedDocument[] {
    const self = this.init.self()
    const docs: OpenedDocument[] = []
    for (const held of this.store.all()) {
      if (!held.key.startsWith('config:')) continue
      try {
        const doc = openDocument(Buffer.from(held.signed, 'base64'), this.init.trusted())
        if (targets(doc.target, self)) docs.push(doc)
      } catch {
        // a key no longer trusted, or expired since: not for this node any more
      }
    }
    return docs
  }
}
