import { PowerClaim } from '../../protocols/power.js'
import { decodePrinterGossip } from './printer-gossip.js'
import type { TopicRule } from '../net/gossip-guard.js'

export { PowerClaim }

export const POWER_TOPIC = '/meshnode/power/1.0.0'
/** A claim is about 60 bytes; anything larger is refused before it is decoded. */
export const MAX_POWER_CLAIM_BYTES = 256
export const POWER_GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
/** Leases a peer may ask the others to keep: long enough to survive a busy second, short enough to free a dead peer's slot. */
export const MIN_POWER_LEASE_MS = 1000
export const MAX_POWER_LEASE_MS = 120_000

export class MalformedPowerClaimError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MalformedPowerClaimError'
  }
}

/** What the gossip guard lets through on the power topic. */
export const POWER_TOPIC_RULE: TopicRule = {
  topic: POWER_TOPIC,
  maxBytes: MAX_POWER_CLAIM_BYTES,
  check: (data) => { decodePowerClaim(data) }
}

export function encodePowerClaim (claim: PowerClaim): Uint8Array {
  return PowerClaim.encode(claim)
}

/** Decodes a claim from the gossip topic and checks every field the budget compares or keeps. */
export function decodePowerClaim (bytes: Uint8Array): PowerClaim {
  const claim = decodePrinterGossip(bytes, { what: 'power claim', maxBytes: MAX_POWER_CLAIM_BYTES, codec: PowerClaim, error: MalformedPowerClaimError })
  if (!POWER_GROUP.test(claim.group)) throw new MalformedPowerClaimError('power claim without a valid group')
  if (!Object.values(PowerClaim.Kind).includes(claim.kind)) throw new MalformedPowerClaimError('power claim of an unknown kind')
  if (!(Number.isFinite(claim.wantedAt) && claim.wantedAt > 0)) throw new MalformedPowerClaimError('power claim without a valid wantedAt')
  if (!(claim.leaseMs >= MIN_POWER_LEASE_MS && claim.leaseMs <= MAX_POWER_LEASE_MS)) throw new MalformedPowerClaimError(`power claim with a lease outside ${MIN_POWER_LEASE_MS}..${MAX_POWER_LEASE_MS} ms`)
  return claim
}
