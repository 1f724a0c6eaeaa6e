import { peerIdFromString } from '@libp2p/peer-id'
import { CapabilityRecord, SignedCapability } from '../../protocols/capability.js'
import { CAPABILITY_TOPIC, MAX_RECORD_BYTES } from './constants.js'
import type { TopicRule } from '../net/gossip-guard.js'
import type { PrivateKey } from '@libp2p/interface'

export class InvalidCapabilityError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidCapabilityError'
  }
}

/** What the gossip guard lets through on the capability topic: a peer's own record, signed by it. */
export const CAPABILITY_TOPIC_RULE: TopicRule = {
  topic: CAPABILITY_TOPIC,
  maxBytes: MAX_RECORD_BYTES,
  check: async (data, { author }) => { await openRecord(data, author) }
}

export async function signRecord (record: CapabilityRecord, key: PrivateKey): Promise<Uint8Array> {
  const bytes = CapabilityRecord.encode(record)
  const signature = new Uint8Array(await key.sign(bytes))
  return SignedCapability.encode({ record: new Uint8Array(bytes), signature })
}

/**
 * Decodes a signed record and checks it was signed by the peer it names, and, when `from` is given, that it
 * names the peer we got it from: a record can be relayed by gossip but never forged for another peer.
 */
export async function openRecord (bytes: Uint8Array, from?: string): Promise<CapabilityRecord> {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new InvalidCapabilityError(`a capability record of ${bytes.byteLength} bytes is over the limit`)
  let signed: SignedCapability
  let record: CapabilityRecord
  try {
    signed = SignedCapability.decode(bytes, { limits: {} })
    record = CapabilityRecord.decode(signed.record, { limits: { tools: 64, printers: 32, offers: 64 } })
  } catch (err: any) {
    throw new InvalidCapabilityError(`malformed capability record: ${err.message}`)
  }
  if (from !== undefined && record.peerId !== from) throw new InvalidCapabilityError(`record for ${record.peerId} came from ${from}`)
  let publicKey
  try {
    publicKey = peerIdFromString(record.peerId).publicKey
  } catch {
    throw new InvalidCapabilityError(`record names an invalid peer id "${record.peerId.slice(0, 80)}"`)
  }
  let verified = false
  try {
    verified = publicKey != null && await publicKey.verify(signed.record, signed.signature)
  } catch {
    // a signature of the wrong length throws instead of failing to verify
  }
  if (!verified) throw new InvalidCapabilityError(`bad signature on the record of ${record.peerId}`)
  return record
}
