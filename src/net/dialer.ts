import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import type { MeshLibp2p } from './libp2p.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

const log = logger('meshnode:dialer')
const TICK_MS = 1000
const DIAL_TIMEOUT_MS = 5000
const MAX_BACKOFF_MS = 15_000
// Peers on one LAN hear each other's mDNS answers at the same moment, and a link that drops is noticed at both
// ends: if both dialled at once, every pair would hold two connections, each with its own handshake, pings
// and memory. The peer with the lower id dials at once; the other only if no connection came by this time.
const YIELD_MS = 750

interface Backoff {
  failures: number
  nextAt: number
}

interface Wanted extends Backoff {
  peerId: PeerId
}

/**
 * Keeps the mesh connected. libp2p 3 dials nobody by itself and reports a peer as discovered only the first
 * time it enters the peer store, so one failed dial, or a link that went down and came back, would never be
 * retried. Every peer discovered over mDNS or lost from a connection is dialled until it answers, with a
 * backoff; the configured --peer addresses are kept connected the same way.
 */
export class Dialer {
  private readonly libp2p: MeshLibp2p
  private readonly addresses: Map<string, Backoff>
  private readonly wanted = new Map<string, Wanted>()
  /** The peer behind each configured address, once it has answered. */
  private readonly reached = new Map<string, PeerId>()
  private readonly dialing = new Set<string>()
  private timer?: NodeJS.Timeout

  constructor (libp2p: MeshLibp2p, addresses: string[]) {
    this.libp2p = libp2p
    this.addresses = new Map(addresses.map(a => [a, { failures: 0, nextAt: 0 }]))
  }

  async start (): Promise<void> {
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    // mDNS runs from the moment libp2p starts: peers it found before this listener existed are already in
    // the peer store, and no second discovery event will come for them.
    this.timer = setInterval(() => { this.tick() }, TICK_MS)
    for (const peer of await this.libp2p.peerStore.all()) this.want(peer.id)
    this.tick()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    this.want(evt.detail.id)
    this.tick()
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.want(evt.detail)
  }

  private want (peerId: PeerId): void {
    const id = peerId.toString()
    if (peerId.equals(this.libp2p.peerId) || this.wanted.has(id)) return
    const yields = this.libp2p.peerId.toString() > id
    this.wanted.set(id, { peerId, failures: 0, nextAt: yields ? Date.now() + YIELD_MS : 0 })
    if (yields) setTimeout(() => { this.tick() }, YIELD_MS).unref()
  }

  private tick (): void {
    if (this.timer == null) return
    const now = Date.now()
    for (const [id, wanted] of this.wanted) {
      if (this.libp2p.getConnections(wanted.peerId).length > 0) {
        this.wanted.delete(id)
        continue
      }
      if (wanted.nextAt > now || this.dialing.has(id)) continue
      this.dial(id, wanted, async () => {
        await this.libp2p.dial(wanted.peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        this.wanted.delete(id)
      })
    }
    for (const [address, backoff] of this.addresses) {
      const known = this.reached.get(address)
      if ((known != null && this.libp2p.getConnections(known).length > 0) || backoff.nextAt > now || this.dialing.has(address)) continue
      this.dial(address, backoff, async () => {
        const connection = await this.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        this.reached.set(address, connection.remotePeer)
        backoff.failures = 0
      })
    }
  }

  private dial (key: string, backoff: Backoff, attempt: () => Promise<void>): void {
    this.dialing.add(key)
    attempt()
      .catch(err => {
        log('dialling %s failed %e', key, err)
        backoff.failures++
        backoff.nextAt = Date.now() + Math.min(TICK_MS * 2 ** backoff.failures, MAX_BACKOFF_MS)
      })
      .finally(() => { this.dialing.delete(key) })
  }
}
