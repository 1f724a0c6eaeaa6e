import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { LIBRARY_TOPIC } from '../library/constants.js'
import { decodeBatch } from '../library/entry-batch.js'
import { CAPABILITY_TOPIC } from '../capabilities/constants.js'
import { openRecord } from '../capabilities/signed-record.js'
import { decodePrinterState, PRINTER_STATE_TOPIC } from '../printer/printer-state.js'
import { decodePowerClaim, POWER_TOPIC } from '../printer/power-claim.js'
import { GossipMessage } from '../../protocols/market.js'
import { decodeGossip } from './codec.js'
import { JOBS_TOPIC } from './constants.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { PeerId } from '@libp2p/interface'

const log = logger('meshnode:gossip-guard')

export interface GossipGuardInit {
  /** Messages a second one peer may forward to us on average, and in a burst. */
  ratePerSecond: number
  burst: number
  /** Rejected messages from one peer before it is disconnected. */
  strikes: number
}

/** Every topic the guard judges; libp2p's scoring counts their invalid messages against the sender. */
export const GUARDED_TOPICS = [JOBS_TOPIC, CAPABILITY_TOPIC, PRINTER_STATE_TOPIC, LIBRARY_TOPIC, POWER_TOPIC]

const DEFAULTS: GossipGuardInit = { ratePerSecond: 100, burst: 400, strikes: 50 }

interface Bucket {
  tokens: number
  at: number
  strikes: number
}

/**
 * Validates every message on our gossip topics before gossipsub forwards it: malformed or forged messages
 * and floods are rejected (which lowers the forwarding peer's gossipsub score), and a peer that keeps
 * sending them is disconnected.
 */
export class GossipGuard {
  private readonly libp2p: MeshLibp2p
  private readonly init: GossipGuardInit
  private readonly buckets = new Map<string, Bucket>()

  constructor (libp2p: MeshLibp2p, init: Partial<GossipGuardInit> = {}) {
    this.libp2p = libp2p
    this.init = { ...DEFAULTS, ...init }
  }

  start (): void {
    const validators = this.libp2p.services.pubsub.topicValidators
    validators.set(JOBS_TOPIC, async (peer, msg) => this.judge(peer, () => {
      // Bids go to their requester over the market stream: one here would only cost every peer a verification.
      if (decodeGossip(msg.data).kind === GossipMessage.Kind.BID) throw new Error('a bid on the jobs topic')
    }))
    validators.set(CAPABILITY_TOPIC, async (peer, msg) => this.judge(peer, async () => {
      if (msg.type !== 'signed') throw new Error('unsigned capability announcement')
      await openRecord(msg.data, msg.from.toString())
    }))
    validators.set(PRINTER_STATE_TOPIC, async (peer, msg) => this.judge(peer, () => {
      if (msg.type !== 'signed') throw new Error('unsigned printer state')
      decodePrinterState(msg.data)
    }))
    validators.set(LIBRARY_TOPIC, async (peer, msg) => this.judge(peer, () => {
      decodeBatch(msg.data)
    }))
    validators.set(POWER_TOPIC, async (peer, msg) => this.judge(peer, () => {
      if (msg.type !== 'signed') throw new Error('unsigned power claim')
      decodePowerClaim(msg.data)
    }))
  }

  stop (): void {
    for (const topic of GUARDED_TOPICS) this.libp2p.services.pubsub.topicValidators.delete(topic)
  }

  private async judge (peer: PeerId, check: () => void | Promise<void>): Promise<TopicValidatorResult> {
    const bucket = this.bucket(peer.toString())
    if (bucket.tokens < 1) return this.strike(peer, bucket, 'over its message rate')
    bucket.tokens -= 1
    try {
      await check()
      return TopicValidatorResult.Accept
    } catch (err: any) {
      return this.strike(peer, bucket, err.message)
    }
  }

  private strike (peer: PeerId, bucket: Bucket, why: string): TopicValidatorResult {
    bucket.strikes++
    log('rejected a message forwarded by %p (%s), strike %d', peer, why, bucket.strikes)
    if (bucket.strikes >= this.init.strikes) {
      log.error('disconnecting %p: %d rejected messages', peer, bucket.strikes)
      bucket.strikes = 0
      this.libp2p.hangUp(peer).catch(err => log('hang-up failed %e', err))
    }
    return TopicValidatorResult.Reject
  }

  private bucket (peer: string): Bucket {
    const now = Date.now()
    let bucket = this.buckets.get(peer)
    if (bucket == null) {
      bucket = { tokens: this.init.burst, at: now, strikes: 0 }
      this.buckets.set(peer, bucket)
    }
    bucket.tokens = Math.min(this.init.burst, bucket.tokens + (now - bucket.at) / 1000 * this.init.ratePerSecond)
    bucket.at = now
    return bucket
  }
}
