import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import type { MeshLibp2p } from './libp2p.js'
import type { PeerBar } from './peer-bar.js'
import type { PeerId } from '@libp2p/interface'

const log = logger('meshnode:gossip-guard')

/** Messages a second one peer may forward to us on one topic, on average and in a burst. */
export interface GossipRate {
  perSecond: number
  burst: number
}

/** A gossip topic as the room that owns it describes it to the guard: how large, how many, and what is well formed. */
export interface TopicRule {
  topic: string
  /** The largest message on the topic; a larger one is rejected before it is read. */
  maxBytes: number
  /** This topic's own rate, where the guard's default does not fit it. */
  rate?: GossipRate
  /**
   * Throws, saying why, when a message is malformed or forged: it is rejected, counted against the forwarder and not
   * passed on. Returns 'ignore' for a sound message not worth passing on (a copy of one this node holds): it is
   * dropped without blame. `author` signed the message, `forwarder` passed it to us (the author, when it published it).
   */
  check(data: Uint8Array, from: { author: string, forwarder: string }): Judgement | Promise<Judgement>
}

/** What a check that did not throw made of a message: nothing (accepted), or 'ignore'. */
type Judgement = void | 'ignore'

export interface GossipGuardInit {
  /**
   * The topics libp2p scores (createMeshLibp2p's guardedTopics). A rule for any other is refused: the messages it
   * rejected would not count against the peer that sent them.
   */
  topics: readonly string[]
  rate: GossipRate
  /** Rejected messages from one peer, on all topics together, before it is disconnected. */
  strikes: number
  /** Where a disconnected peer is barred, and for how long: without it the peer is simply called back. */
  bar?: Pick<PeerBar, 'bar'>
  barMs: number
}

const DEFAULTS = { rate: { perSecond: 100, burst: 400 }, strikes: 50, barMs: 5 * 60_000 }
/** Peers (times topics) whose buckets are kept; past this the oldest is forgotten and starts again full. */
const MAX_BUCKETS = 10_000

interface Bucket {
  tokens: number
  at: number
}

/**
 * Validates every message on the topics it is handed before gossipsub forwards it: oversized, malformed or forged
 * messages and floods are rejected (which lowers the forwarding peer's gossipsub score), and a peer that keeps
 * sending them is disconnected. It knows no topic of its own: each room hands it a rule for its topics when the
 * node is assembled.
 */
export class GossipGuard {
  private readonly libp2p: Pick<MeshLibp2p, 'hangUp'> & { services: { pubsub: Pick<MeshLibp2p['services']['pubsub'], 'topicValidators'> } }
  private readonly init: GossipGuardInit
  private readonly guarded = new Set<string>()
  private readonly buckets = new Map<string, Bucket>()
  private readonly strikes = new Map<string, number>()

  constructor (libp2p: GossipGuard['libp2p'], init: Pick<GossipGuardInit, 'topics'> & Partial<GossipGuardInit>) {
    this.libp2p = libp2p
    this.init = { ...DEFAULTS, ...init }
  }

  /** From now on every message on `rule.topic` is judged by it. */
  guard (rule: TopicRule): void {
    if (!this.init.topics.includes(rule.topic)) throw new Error(`the gossip topic ${rule.topic} is not scored: add it to the guarded topics`)
    const rate = rule.rate ?? this.init.rate
    this.guarded.add(rule.topic)
    this.libp2p.services.pubsub.topicValidators.set(rule.topic, async (peer, msg) => this.judge(peer, rule.topic, rate, async () => {
      if (msg.type !== 'signed') throw new Error('an unsigned message')
      if (msg.data.byteLength > rule.maxBytes) throw new Error(`a message of ${msg.data.byteLength} bytes, over the limit of ${rule.maxBytes}`)
      return rule.check(msg.data, { author: msg.from.toString(), forwarder: peer.toString() })
    }))
  }

  stop (): void {
    for (const topic of this.guarded) this.libp2p.services.pubsub.topicValidators.delete(topic)
    this.guarded.clear()
  }

  private async judge (peer: PeerId, topic: string, rate: GossipRate, check: () => Promise<Judgement>): Promise<TopicValidatorResult> {
    const bucket = this.bucket(`${peer.toString()} ${topic}`, rate)
    if (bucket.tokens < 1) return this.strike(peer, topic, 'over its message rate')
    bucket.tokens -= 1
    try {
      return (await check()) === 'ignore' ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
    } catch (err: any) {
      return this.strike(peer, topic, err.message)
    }
  }

  private strike (peer: PeerId, topic: string, why: string): TopicValidatorResult {
    const key = peer.toString()
    const strikes = (this.strikes.get(key) ?? 0) + 1
    this.strikes.set(key, strikes)
    log('rejected a message on %s forwarded by %p (%s), strike %d', topic, peer, why, strikes)
    if (strikes >= this.init.strikes) {
      log.error('disconnecting %p: %d rejected messages', peer, strikes)
      this.strikes.delete(key)
      this.init.bar?.bar(peer, this.init.barMs)
      this.libp2p.hangUp(peer).catch(err => log('hang-up failed %e', err))
    } else if (this.strikes.size > MAX_BUCKETS) {
      this.strikes.delete(this.strikes.keys().next().value as string)
    }
    return TopicValidatorResult.Reject
  }

  private bucket (key: string, rate: GossipRate): Bucket {
    const now = Date.now()
    let bucket = this.buckets.get(key)
    if (bucket == null) {
      bucket = { tokens: rate.burst, at: now }
      this.buckets.set(key, bucket)
      if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string)
    }
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (now - bucket.at) / 1000 * rate.perSecond)
    bucket.at = now
    return bucket
  }
}
