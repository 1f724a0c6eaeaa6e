import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { LIBRARY_SYNC_PROTOCOL, MAX_BATCH_BYTES, MAX_SYNC_PAGES, MAX_SYNC_REQUEST_BYTES, SYNC_TIMEOUT_MS } from './constants.js'
import { decodeBatch, encodeBatch, packBatches } from './entry-batch.js'
import { parseJson } from './entry-codec.js'
import { ENTRY_ID } from './limits.js'
import type { LibraryEntry } from './entry.js'
import type { Libp2p, Stream } from '@libp2p/interface'

const log = logger('meshnode:library:sync')

export interface LibrarySyncComponents {
  handle: Libp2p['handle']
  unhandle: Libp2p['unhandle']
  dialProtocol: Libp2p['dialProtocol']
  /** Every entry this peer holds, in id order. */
  entries: () => LibraryEntry[]
  receive: (entries: LibraryEntry[]) => Promise<void>
}

/** A sync request that is not one. */
export class BadSyncRequestError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BadSyncRequestError'
  }
}

/**
 * Anti-entropy over /meshnode/library-sync/1.0.0: a peer that meets another reads all its entries, a page at a
 * time (a request names the last id it has read; an empty page ends), and merges them. Gossip carries changes
 * while peers are connected; this repairs what a peer missed while it was away or apart.
 */
export class LibrarySync {
  private readonly c: LibrarySyncComponents
  private readonly pulling = new Map<string, Promise<number>>()

  constructor (components: LibrarySyncComponents) {
    this.c = components
  }

  async start (): Promise<void> {
    await this.c.handle(LIBRARY_SYNC_PROTOCOL, (stream) => {
      this.serve(stream).catch(err => {
        log('serving a sync failed %e', err)
        stream.abort(err)
      })
    }, { maxInboundStreams: 8 })
  }

  async stop (): Promise<void> {
    await this.c.unhandle(LIBRARY_SYNC_PROTOCOL)
  }

  /** Reads every entry of `peerId` and merges it; the number of entries read. One pull per peer at a time. */
  async pull (peerId: string): Promise<number> {
    const running = this.pulling.get(peerId)
    if (running != null) return running
    const pulling = this.read(peerId).finally(() => this.pulling.delete(peerId))
    this.pulling.set(peerId, pulling)
    return pulling
  }

  private async read (peerId: string): Promise<number> {
    const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
    const stream = await this.c.dialProtocol(peerIdFromString(peerId), LIBRARY_SYNC_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_BATCH_BYTES })
    let after = ''
    let read = 0
    try {
      for (let page = 0; page < MAX_SYNC_PAGES; page++) {
        await lp.write(new TextEncoder().encode(JSON.stringify({ after })), { signal })
        const entries = decodeBatch((await lp.read({ signal })).subarray())
        if (entries.length === 0) break
        for (const entry of entries) {
          // A page runs on in id order: anything else is a peer that would keep us reading forever.
          if (entry.id <= after) throw new BadSyncRequestError(`the page after ${after} holds ${entry.id}`)
          after = entry.id
        }
        await this.c.receive(entries)
        read += entries.length
      }
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
    log('read %d entries from %s', read, peerId)
    return read
  }

  private async serve (stream: Stream): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_REQUEST_BYTES })
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      const frame = await lp.read({ signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) }).catch(err => {
        if (err.name === 'UnexpectedEOFError') return undefined
        throw err
      })
      if (frame == null) break
      const after = decodeSyncRequest(frame.subarray())
      const rest = this.c.entries().filter(e => e.id > after)
      const [first] = packBatches(rest, e => { log.error('entry %s is too large to send', e.id) }, 1)
      await lp.write(encodeBatch(first ?? []), { signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) })
      if (first == null) break
    }
    if (stream.status === 'open') await stream.close()
  }
}

/** The id a sync request reads after: "" for the first page. */
export function decodeSyncRequest (bytes: Uint8Array): string {
  const raw = parseJson(bytes, () => new BadSyncRequestError('a sync request is not UTF-8 JSON')) as { after?: unknown } | null
  const after = raw?.after
  if (typeof after !== 'string' || (after !== '' && !ENTRY_ID.test(after))) throw new BadSyncRequestError('a sync request\'s "after" is not an entry id')
  return after
}
