import { logger } from '@libp2p/logger'
import { GOSSIP_BATCH_MS, LIBRARY_TOPIC, MAX_BATCH_BYTES } from './constants.js'
import { decodeBatch, encodeBatch, packBatches } from './entry-batch.js'
import type { TopicRule } from '../net/gossip-guard.js'
import type { EntryChange } from './library-store.js'
import type { LibraryEntry } from './entry.js'
import type { GossipSub } from '@libp2p/gossipsub'

const log = logger('meshnode:library:gossip')

/** What the gossip guard lets through on the library topic: batches of well-formed entries. */
export const LIBRARY_TOPIC_RULE: TopicRule = {
  topic: LIBRARY_TOPIC,
  maxBytes: MAX_BATCH_BYTES,
  check: (data) => { decodeBatch(data) }
}

export interface LibraryGossipComponents {
  pubsub: Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'addEventListener' | 'removeEventListener'>
  /** Where local changes come from. */
  changes: EventTarget
  /** Takes peers' states of entries in. */
  receive: (entries: LibraryEntry[]) => Promise<void>
}

/**
 * Spreads every local change of an entry on the library topic, as the entry's whole state: a peer that missed
 * an earlier change gets it with the next, and a state received twice merges to nothing. Changes made close
 * together (a batch add) go out together.
 */
export class LibraryGossip {
  private readonly c: LibraryGossipComponents
  private readonly pending = new Map<string, LibraryEntry>()
  private timer?: NodeJS.Timeout

  constructor (components: LibraryGossipComponents) {
    this.c = components
  }

  start (): void {
    this.c.pubsub.subscribe(LIBRARY_TOPIC)
    this.c.pubsub.addEventListener('message', this.onMessage)
    this.c.changes.addEventListener('change', this.onChange)
  }

  stop (): void {
    clearTimeout(this.timer)
    this.c.changes.removeEventListener('change', this.onChange)
    this.c.pubsub.removeEventListener('message', this.onMessage)
    this.c.pubsub.unsubscribe(LIBRARY_TOPIC)
  }

  private readonly onChange = (evt: Event): void => {
    const { entry, local } = (evt as CustomEvent<EntryChange>).detail
    if (!local) return
    this.pending.set(entry.id, entry)
    this.timer ??= setTimeout(() => { this.flush() }, GOSSIP_BATCH_MS)
  }

  private flush (): void {
    this.timer = undefined
    const entries = [...this.pending.values()]
    this.pending.clear()
    for (const batch of packBatches(entries, e => { log.error('entry %s is too large to spread', e.id) })) {
      this.c.pubsub.publish(LIBRARY_TOPIC, encodeBatch(batch)).catch(err => {
        // No peer subscribed yet: they read every entry when they join.
        log('publishing %d entries failed %e', batch.length, err)
      })
    }
  }

  private readonly onMessage = (evt: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
    if (evt.detail.topic !== LIBRARY_TOPIC) return
    let entries: LibraryEntry[]
    try {
      entries = decodeBatch(evt.detail.data)
    } catch (err) {
      log('a bad library message %e', err)
      return
    }
    this.c.receive(entries).catch(err => { log.error('merging %d entries failed %e', entries.length, err) })
  }
}
