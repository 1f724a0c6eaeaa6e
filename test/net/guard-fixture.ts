import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { GossipGuard, type GossipGuardInit } from '../../src/net/gossip-guard.js'
import type { TopicValidatorFn, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

export interface StubbedGuard {
  guard: GossipGuard
  /** The gossipsub validators the guard set, by topic. */
  validators: Map<string, TopicValidatorFn>
  /** The peers the guard hung up on, in order. */
  hungUp: string[]
  /** What the guard makes of `data` on `topic`, signed by `author` and forwarded by `forwarder` (the author unless told). */
  judge(topic: string, data: Uint8Array, author: PeerId, forwarder?: PeerId): Promise<TopicValidatorResult>
}

/** A guard on a stand-in for libp2p: gossipsub's validator table and a hang-up that only records the peer. */
export function stubbedGuard (init: Pick<GossipGuardInit, 'topics'> & Partial<GossipGuardInit>): StubbedGuard {
  const validators = new Map<string, TopicValidatorFn>()
  const hungUp: string[] = []
  const guard = new GossipGuard({ services: { pubsub: { topicValidators: validators } }, hangUp: async (peer) => { hungUp.push(peer.toString()) } }, init)
  return {
    guard,
    validators,
    hungUp,
    judge: async (topic, data, author, forwarder = author) => {
      const validate = validators.get(topic)
      if (validate == null) throw new Error(`no validator on ${topic}`)
      return validate(forwarder, { type: 'signed', from: author, topic, data, sequenceNumber: 1n, signature: new Uint8Array(64), key: author.publicKey as any })
    }
  }
}

export async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}
