import { createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { addHolder } from './edits.js'
import { entryBlobs, type LibraryEntry, type LibraryFile } from './entry.js'
import type { LibraryStore } from './library-store.js'
import type { PeerPresence } from './peer-presence.js'

const log = logger('meshnode:library:replicas')

export interface ReplicaConfig {
  /** Peers that keep each blob of every entry. */
  replicas: number
  /** How long a holder may be gone before another peer takes a copy. */
  graceMs: number
  /** How often this peer looks for blobs short of copies. */
  checkMs: number
}

export interface BlobReplicatorComponents {
  self: string
  store: Pick<LibraryStore, 'all' | 'edit'>
  presence: PeerPresence
  has: (hash: string) => Promise<boolean>
  fetch: (peer: string, file: LibraryFile) => Promise<void>
  /** Whether this peer's disk takes `bytes` more and still keeps its floor free. */
  hasRoom: (bytes: number) => Promise<boolean>
  config: () => ReplicaConfig
}

/**
 * Keeps every blob of every entry on `replicas` peers. Each peer decides for itself, from the holders the
 * entries list and the peers present: a blob with fewer present holders than it needs is copied by the
 * peers that rank first for it (rendezvous hashing of blob and peer id) among those present that lack it,
 * as many as are missing. Every peer ranks alike, so they do not all copy at once. A peer with no room leaves
 * its turn: each grace period the blob stays short, one more peer of the ranking may take it. A peer that gets
 * a copy lists itself as a holder, and the entry spreads.
 */
export class BlobReplicator {
  private readonly c: BlobReplicatorComponents
  private readonly local = new Set<string>()
  /** When this peer first saw each blob short of copies. */
  private readonly shortSince = new Map<string, number>()
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private stopped = false

  constructor (components: BlobReplicatorComponents) {
    this.c = components
  }

  start (): void {
    this.stopped = false
    this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** One look at every entry; copies what this peer should keep. */
  async check (): Promise<void> {
    const { replicas, graceMs } = this.c.config()
    const present = this.c.presence.live(graceMs)
    for (const entry of this.c.store.all()) {
      if (this.stopped) return
      if (entry.removed.value) continue
      for (const file of entryBlobs(entry)) await this.keep(entry, file, present, replicas)
    }
  }

  private async keep (entry: LibraryEntry, file: LibraryFile, present: Set<string>, replicas: number): Promise<void> {
    const holders = entry.holders[file.hash] ?? []
    if (holders.includes(this.c.self)) return
    const presentHolders = holders.filter(h => present.has(h))
    const missing = replicas - presentHolders.length
    // Only a blob short of copies is looked for on disk: a check of ten thousand entries reads no more.
    if (missing <= 0) {
      this.shortSince.delete(file.hash)
      return
    }
    if (await this.holds(file.hash)) {
      await this.listSelf(entry, file.hash)
      return
    }
    // A peer ahead in the ranking may have no room: each grace period a blob stays short lets one more peer in.
    const now = Date.now()
    const since = this.shortSince.get(file.hash) ?? now
    this.shortSince.set(file.hash, since)
    const turns = missing + Math.floor((now - since) / this.c.config().graceMs)
    const rank = [...present].filter(p => !holders.includes(p)).sort((a, b) => score(file.hash, a) < score(file.hash, b) ? -1 : 1)
    if (rank.indexOf(this.c.self) >= turns || rank.indexOf(this.c.self) < 0) return
    if (!(await this.c.hasRoom(file.size))) {
      log('no room for %s (%d bytes) of entry %s', file.hash, file.size, entry.id)
      return
    }
    const reachable = this.c.presence.reachable()
    for (const holder of presentHolders.filter(h => reachable.has(h) && h !== this.c.self)) {
      try {
        await this.c.fetch(holder, file)
        this.local.add(file.hash)
        await this.listSelf(entry, file.hash)
        log('took a copy of %s of entry %s from %s', file.hash, entry.id, holder)
        return
      } catch (err) {
        log('copying %s from %s failed %e', file.hash, holder, err)
      }
    }
  }

  private async holds (hash: string): Promise<boolean> {
    if (this.local.has(hash)) return true
    const has = await this.c.has(hash)
    if (has) this.local.add(hash)
    return has
  }

  private async listSelf (entry: LibraryEntry, hash: string): Promise<void> {
    await this.c.store.edit(entry.id, known => addHolder(known ?? entry, hash, this.c.self))
  }

  private schedule (): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.running = this.check().catch(err => { log.error('checking the library\'s copies failed %e', err) }).finally(() => { this.schedule() })
    }, this.c.config().checkMs)
    this.timer.unref()
  }
}

/** A peer's rank for a blob: the same on every peer, different for each blob. */
function score (hash: string, peer: string): string {
  return createHash('sha256').update(`${hash}/${peer}`).digest('hex')
}
