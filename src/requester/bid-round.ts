import type { Bid, StageSpec } from '../../protocols/market.js'
import type { BidRecord } from '../jobs/job.js'

interface Round {
  attempt: number
  bids: Map<string, BidRecord>
  /** Ends the window early once every capable peer has answered. */
  complete(): void
}

export interface BidRoundsInit {
  self: string
  /** Asks `peers` to bid for the stage; their bids come in through `receive`. */
  announce(spec: StageSpec, peers: string[]): Promise<void>
  /** This node's own bid: it takes part in its own rounds. */
  ownBid(spec: StageSpec): Promise<Bid>
  windowMs(): number
}

/**
 * The open bid rounds of this requester's stages: each announces its stage to the peers asked and gathers bids
 * for the bid window, or less once every one of them (and this node) has answered. A bid for another attempt
 * of the stage, or for no open round, is dropped.
 */
export class BidRounds {
  private readonly init: BidRoundsInit
  private readonly open = new Map<string, Round>()

  constructor (init: BidRoundsInit) {
    this.init = init
  }

  /** `ownBid` false: a second round of the same attempt, which this node has bid in already. */
  async collect (spec: StageSpec, capable: Set<string>, ownBid = true): Promise<BidRecord[]> {
    const key = `${spec.jobId}:${spec.index}`
    const round: Round = { attempt: spec.attempt, bids: new Map(), complete: () => {} }
    const complete = new Promise<void>(resolve => {
      round.complete = () => { if (capable.size > 0 && [...capable].every(id => round.bids.has(id))) resolve() }
    })
    this.open.set(key, round)
    try {
      await this.init.announce(spec, [...capable])
      if (ownBid) this.receive(await this.init.ownBid(spec), this.init.self)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([complete, new Promise<void>(resolve => { timer = setTimeout(resolve, this.init.windowMs()) })])
      clearTimeout(timer)
      return [...round.bids.values()]
    } finally {
      this.open.delete(key)
    }
  }

  receive (bid: Bid, from: string): void {
    const round = this.open.get(`${bid.jobId}:${bid.index}`)
    if (round == null || bid.attempt !== round.attempt) return
    round.bids.set(from, { attempt: bid.attempt, peerId: from, peerName: bid.bidderName, accept: bid.accept, reason: bid.reason, etaMs: bid.etaMs, etaKnown: bid.etaKnown, cached: bid.cached, busy: bid.busy, holdsInput: bid.holdsInput })
    round.complete()
  }
}
