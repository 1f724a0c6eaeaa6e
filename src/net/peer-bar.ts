import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Peers barred at once; past this the one barred longest ago is let back first. */
const MAX_BARRED = 10_000

/**
 * Peers this node will not talk to for a while: neither dialled nor let in. Hanging up on a peer alone does not
 * keep it away, since the dialer calls every lost peer back within a second, and gossipsub scores a peer that
 * connects again from zero.
 */
export class PeerBar {
  private readonly until = new Map<string, number>()

  bar (peer: PeerId | string, forMs: number): void {
    const key = peer.toString()
    this.until.delete(key)
    this.until.set(key, Date.now() + forMs)
    if (this.until.size > MAX_BARRED) this.until.delete(this.until.keys().next().value as string)
  }

  barred (peer: PeerId | string): boolean {
    const key = peer.toString()
    const until = this.until.get(key)
    if (until == null) return false
    if (until > Date.now()) return true
    this.until.delete(key)
    return false
  }

  /** The part of libp2p's connection gater that keeps barred peers out, both ways. */
  gater (): ConnectionGater {
    return {
      denyDialPeer: peer => this.barred(peer),
      denyInboundEncryptedConnection: peer => this.barred(peer),
      denyOutboundEncryptedConnection: peer => this.barred(peer)
    }
  }
}
