import { logger } from '@libp2p/logger'
import { GossipMessage, type Award, type Bid, type StageSpec } from '../../protocols/market.js'
import { decodeGossip } from './codec.js'
import { JOBS_TOPIC, MAX_MARKET_MESSAGE_BYTES } from './constants.js'
import type { TopicRule } from '../net/gossip-guard.js'
import type { MeshLibp2p } from '../net/libp2p.js'

const log = logger('meshnode:market:jobs-topic')

/** What the jobs topic uses of gossipsub. */
export type JobsPubsub = Pick<MeshLibp2p['services']['pubsub'], 'subscribe' | 'publish' | 'addEventListener' | 'removeEventListener'>

/** This node's executor side, as its own requester asks it: it bids in every round, and learns of every award. */
export interface LocalBidder {
  bid(spec: StageSpec): Promise<Bid>
  settleBid(award: Pick<Award, 'jobId' | 'index' | 'winner'>, from: string): void
}

type Handler<T> = (message: T, from: string) => void

/** What the gossip guard lets through on the jobs topic: announcements and awards, each well formed. */
export const JOBS_TOPIC_RULE: TopicRule = {
  topic: JOBS_TOPIC,
  maxBytes: MAX_MARKET_MESSAGE_BYTES,
  check: (data) => {
    // Bids go to their requester over the market stream: one here would only cost every peer a verification.
    if (decodeGossip(data).kind === GossipMessage.Kind.BID) throw new Error('a bid on the jobs topic')
  }
}

/**
 * The gossip topic `/meshnode/jobs/1.1.0`, subscribed once for the node: it decodes each signed message and
 * hands announcements and awards to each of its readers (the print queue, the work queue), in the order they
 * asked. An announcement counts only from the requester it names. Bids do not travel here: each goes to its
 * requester alone over the market stream (MarketRequest BID), since on the topic every peer read and verified
 * every bid of every stage.
 */
export class JobsTopic {
  private readonly pubsub: JobsPubsub
  private readonly announceReaders: Array<Handler<StageSpec>> = []
  private readonly awardReaders: Array<Handler<Award>> = []

  constructor (pubsub: JobsPubsub) {
    this.pubsub = pubsub
  }

  onAnnounce (handler: Handler<StageSpec>): void { this.announceReaders.push(handler) }
  onAward (handler: Handler<Award>): void { this.awardReaders.push(handler) }

  start (): void {
    this.pubsub.subscribe(JOBS_TOPIC)
    this.pubsub.addEventListener('message', this.onGossip)
  }

  stop (): void {
    this.pubsub.removeEventListener('message', this.onGossip)
  }

  async publish (message: GossipMessage): Promise<void> {
    await this.pubsub.publish(JOBS_TOPIC, GossipMessage.encode(message)).catch(err => { log('publish failed %e', err) })
  }

  private readonly onGossip = (evt: CustomEvent<any>): void => {
    const msg = evt.detail
    if (msg.topic !== JOBS_TOPIC || msg.type !== 'signed') return
    const from: string = msg.from.toString()
    let message: GossipMessage
    try {
      message = decodeGossip(msg.data)
    } catch (err: any) {
      log('dropped a jobs message from %s: %s', from, err.message)
      return
    }
    if (message.kind === GossipMessage.Kind.ANNOUNCE && message.announce != null) {
      const spec = message.announce
      if (spec.requester !== from) return log('dropped an announcement from %s for requester %s', from, spec.requester)
      for (const read of this.announceReaders) read(spec, from)
    } else if (message.kind === GossipMessage.Kind.AWARD && message.award != null) {
      for (const read of this.awardReaders) read(message.award, from)
    }
  }
}
