import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import type { MeshLibp2p } from './libp2p.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

const log = logger('meshnode:dialer')
const REDIAL_MS = 3000

/**
 * libp2p 3 does not dial the peers it discovers: this dials each mDNS discovery at once, and keeps the
 * configured --peer addresses connected, redialling them while they are gone.
 */
export class Dialer {
  private readonly libp2p: MeshLibp2p
  private readonly peers: string[]
  private timer?: NodeJS.Timeout
  /** The peer behind each configured address, once it has answered. */
  private readonly reached = new Map<string, PeerId>()

  constructor (libp2p: MeshLibp2p, peers: string[]) {
    this.libp2p = libp2p
    this.peers = peers
  }

  start (): void {
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    this.dialStatic()
    this.timer = setInterval(() => { this.dialStatic() }, REDIAL_MS)
  }

  stop (): void {
    clearInterval(this.timer)
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const { id } = evt.detail
    if (id.equals(this.libp2p.peerId) || this.libp2p.getConnections(id).length > 0) return
    this.libp2p.dial(id, { signal: AbortSignal.timeout(5000) }).catch(err => log('dialling discovered %p failed %e', id, err))
  }

  private dialStatic (): void {
    for (const address of this.peers) {
      const known = this.reached.get(address)
      if (known != null && this.libp2p.getConnections(known).length > 0) continue
      this.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(5000) })
        .then(connection => { this.reached.set(address, connection.remotePeer) })
        .catch(err => log('dialling %s failed %e', address, err))
    }
  }
}
