import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { AdminSummary } from '../../protocols/admin.js'
import { MAX_DOCUMENT_BYTES } from './admin-document.js'
import { ADMIN_SYNC_PROTOCOL, MAX_SUMMARY_BYTES, SYNC_TIMEOUT_MS } from './constants.js'
import { MAX_HELD_DOCUMENTS, type DocumentStore } from './document-store.js'
import type { AdminInbox } from './admin-inbox.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { PeerId, Stream } from '@libp2p/interface'

const log = logger('meshnode:admin-sync')

/**
 * Anti-entropy: when a peer connects, this node sends it a summary of the documents it holds (key and
 * revision) and the peer answers with each one it holds newer, then an empty frame. Both sides do it, so a
 * node that was away catches up from whichever peer it meets first; no peer is special.
 */
export class AdminSync {
  private readonly libp2p: MeshLibp2p
  private readonly store: DocumentStore
  private readonly inbox: AdminInbox

  constructor (components: { libp2p: MeshLibp2p, store: DocumentStore, inbox: AdminInbox }) {
    this.libp2p = components.libp2p
    this.store = components.store
    this.inbox = components.inbox
  }

  async start (): Promise<void> {
    await this.libp2p.handle(ADMIN_SYNC_PROTOCOL, (stream) => { this.serve(stream).catch(err => { log('serving a sync failed %e', err) }) })
  }

  async stop (): Promise<void> {
    await this.libp2p.unhandle(ADMIN_SYNC_PROTOCOL)
  }

  /** Asks `peer` for every document it holds newer than this node's; returns how many came. */
  async syncWith (peer: PeerId): Promise<number> {
    const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
    const stream = await this.libp2p.dialProtocol(peer, ADMIN_SYNC_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: Math.max(MAX_SUMMARY_BYTES, MAX_DOCUMENT_BYTES) })
      const entries = this.store.all().map(d => ({ key: d.key, revision: d.revision }))
      await lp.write(AdminSummary.encode({ entries }), { signal })
      let count = 0
      for (; count <= MAX_HELD_DOCUMENTS; count++) {
        const frame = (await lp.read({ signal })).subarray()
        if (frame.byteLength === 0) break
        await this.inbox.take(frame, peer.toString())
      }
      await stream.close({ signal })
      return count
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  private async serve (stream: Stream): Promise<void> {
    const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
    const lp = lpStream(stream, { maxDataLength: MAX_SUMMARY_BYTES })
    try {
      const summary = AdminSummary.decode(await lp.read({ signal }), { limits: { entries: MAX_HELD_DOCUMENTS } })
      const theirs = new Map(summary.entries.map(e => [e.key, e.revision]))
      for (const held of this.store.all()) {
        if ((theirs.get(held.key) ?? 0) < held.revision) await lp.write(Buffer.from(held.signed, 'base64'), { signal })
      }
      await lp.write(new Uint8Array(0), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  /** Syncs in the background (a peer that joined); a failure is only logged, the next join tries again. */
  syncSoon (peer: PeerId): void {
    this.syncWith(peer).then(
      count => { if (count > 0) log('%d documents from %p', count, peer) },
      err => { log('sync with %p failed %e', peer, err) }
    )
  }
}
