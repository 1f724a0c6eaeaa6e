import { logger } from '@libp2p/logger'
import type { MeshDb } from '../store/open-db.js'

const log = logger('meshnode:trust')

/**
 * Names in a node's trust lists stand for the peer that first showed up under that name: the pin is kept
 * in LevelDB, so a later peer that takes the same name is not trusted.
 */
export class NamePins {
  private readonly pins
  private readonly cache = new Map<string, string>()

  constructor (db: MeshDb) {
    this.pins = db.sublevel<string, string>('trust-pins', { valueEncoding: 'utf8' })
  }

  async load (): Promise<void> {
    for await (const [name, peerId] of this.pins.iterator()) this.cache.set(name, peerId)
  }

  /** Pins `name` to `peerId` unless the name is pinned already; says whether this peer holds the name. */
  async sighted (name: string, peerId: string): Promise<boolean> {
    const pinned = this.cache.get(name)
    if (pinned != null) {
      if (pinned !== peerId) log('peer %s calls itself %s, a name pinned to %s: not trusted by name', peerId, name, pinned)
      return pinned === peerId
    }
    this.cache.set(name, peerId)
    await this.pins.put(name, peerId)
    log('pinned the name %s to %s', name, peerId)
    return true
  }

  peerFor (name: string): string | undefined {
    return this.cache.get(name)
  }
}
