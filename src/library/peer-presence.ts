/**
 * When each peer was last connected. A holder that left counts as present for a grace period, so a restart
 * or a short outage does not set every other peer copying its blobs.
 */
export class PeerPresence {
  private readonly lastSeen = new Map<string, number>()
  private readonly self: string
  private readonly connected: () => string[]

  constructor (self: string, connected: () => string[]) {
    this.self = self
    this.connected = connected
  }

  /** This peer, the connected ones, and those gone for less than `graceMs`. */
  live (graceMs: number, now = Date.now()): Set<string> {
    const connected = this.connected()
    for (const peer of connected) this.lastSeen.set(peer, now)
    const live = new Set([this.self, ...connected])
    for (const [peer, at] of this.lastSeen) {
      if (now - at <= graceMs) live.add(peer)
      else this.lastSeen.delete(peer)
    }
    return live
  }

  /** The peers connected now (this one too). */
  reachable (): Set<string> {
    return new Set([this.self, ...this.connected()])
  }
}
