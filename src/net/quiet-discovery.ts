import { peerDiscoverySymbol } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import type { PeerDiscovery, PeerDiscoveryEvents, PeerId, PeerInfo, Startable } from '@libp2p/interface'

type Discovery = PeerDiscovery & Partial<Startable>

interface Connections {
  getConnections(peerId: PeerId): unknown[]
}

/**
 * Passes on what a discovery service finds, except news about a peer this node is already connected to at
 * the same addresses. Every peer on the LAN answers every mDNS query, so a mesh of N peers hears N answers
 * per query, and libp2p rewrites a peer's record in its peer store for each one; with a few peers querying
 * every couple of seconds, that rewriting was the busiest thing an idle node did. It also holds the peer
 * store's lock that every new stream waits on.
 */
export class QuietDiscovery extends TypedEventEmitter<PeerDiscoveryEvents> implements Startable {
  readonly [peerDiscoverySymbol] = this
  readonly [Symbol.toStringTag] = 'meshnode:quiet-discovery'
  private readonly inner: Discovery
  private readonly connections: Connections
  /** The addresses last passed on for each peer. */
  private readonly passed = new Map<string, string>()

  constructor (inner: Discovery, connections: Connections) {
    super()
    this.inner = inner
    this.connections = connections
  }

  async start (): Promise<void> {
    this.inner.addEventListener('peer', this.onPeer)
    await this.inner.start?.()
  }

  async stop (): Promise<void> {
    this.inner.removeEventListener('peer', this.onPeer)
    await this.inner.stop?.()
    this.passed.clear()
  }

  private readonly onPeer = (evt: CustomEvent<PeerInfo>): void => {
    const id = evt.detail.id.toString()
    const addresses = evt.detail.multiaddrs.map(a => a.toString()).sort().join(' ')
    if (this.passed.get(id) === addresses && this.connections.getConnections(evt.detail.id).length > 0) return
    this.passed.set(id, addresses)
    this.safeDispatchEvent('peer', { detail: evt.detail })
  }
}

/** Wraps a libp2p peer discovery factory (such as `mdns()`) in a QuietDiscovery. */
export function quietDiscovery<C> (inner: (components: C) => Discovery): (components: C & { connectionManager: Connections }) => QuietDiscovery {
  return (components) => new QuietDiscovery(inner(components), components.connectionManager)
}
