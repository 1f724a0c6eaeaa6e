import { GossipMessage, MarketRequest, MarketResponse, type BlobRef } from '../../protocols/market.js'
import { FACT_NAME, MAX_EXTENT_MM, NOZZLE_RANGE_MM, TEMPERATURE_RANGE_C } from '../printer/gcode-facts.js'
import { MAX_INLINE_BYTES, MAX_INLINE_FILES, MAX_INLINE_TOTAL_BYTES, MAX_LOG_LINES, MAX_MARKET_MESSAGE_BYTES } from './constants.js'

export class MalformedMessageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MalformedMessageError'
  }
}

const ID = /^[A-Za-z0-9-]{1,64}$/
const HASH = /^[0-9a-f]{64}$/
const KIND = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
// protons reads the limits of a nested message under the field's name (`stage`), of repeated ones under `field$`.
const refLimits = { holders: 16 }
const stageLimits = { extra: 64, params: 64, input: refLimits, extra$: refLimits }
const gossipLimits = { announce: stageLimits }
const requestLimits = { stage: stageLimits, log: MAX_LOG_LINES, command: 256, output: refLimits, inline: MAX_INLINE_FILES }

function decodeWith<T> (what: string, bytes: Uint8Array, decode: () => T): T {
  if (bytes.byteLength > MAX_MARKET_MESSAGE_BYTES) throw new MalformedMessageError(`${what} of ${bytes.byteLength} bytes is over the limit`)
  try {
    return decode()
  } catch (err: any) {
    throw new MalformedMessageError(`malformed ${what}: ${err.message}`)
  }
}

/** Decodes a message from the jobs topic and checks every field a receiver acts on. */
export function decodeGossip (bytes: Uint8Array): GossipMessage {
  const msg = decodeWith('gossip message', bytes, () => GossipMessage.decode(bytes, { limits: gossipLimits }))
  const jobId = msg.announce?.jobId ?? msg.bid?.jobId ?? msg.award?.jobId
  if (jobId == null || !ID.test(jobId)) throw new MalformedMessageError('gossip message without a valid job id')
  if (msg.kind === GossipMessage.Kind.ANNOUNCE && msg.announce == null) throw new MalformedMessageError('announcement without a stage')
  if (msg.kind === GossipMessage.Kind.BID && msg.bid == null) throw new MalformedMessageError('bid without a body')
  if (msg.kind === GossipMessage.Kind.AWARD && msg.award == null) throw new MalformedMessageError('award without a body')
  if (msg.announce != null) checkStage(msg.announce)
  return msg
}

export function decodeRequest (bytes: Uint8Array): MarketRequest {
  const msg = decodeWith('market request', bytes, () => MarketRequest.decode(bytes, { limits: requestLimits }))
  if (msg.kind === MarketRequest.Kind.BID) {
    if (msg.bid == null || !ID.test(msg.bid.jobId)) throw new MalformedMessageError('bid without a valid job id')
    return msg
  }
  if (msg.kind === MarketRequest.Kind.AWARD) {
    if (msg.award == null || !ID.test(msg.award.jobId)) throw new MalformedMessageError('award without a valid job id')
    return msg
  }
  if (msg.stage == null) throw new MalformedMessageError('market request without a stage')
  checkStage(msg.stage)
  if (msg.output != null && !HASH.test(msg.output.hash)) throw new MalformedMessageError('result with an invalid hash')
  if (msg.output != null) checkGcodeFacts(msg.output)
  let inlined = 0
  for (const file of msg.inline) {
    if (!HASH.test(file.hash)) throw new MalformedMessageError('inline file with an invalid hash')
    if (file.content.byteLength > MAX_INLINE_BYTES) throw new MalformedMessageError(`inline file of ${file.content.byteLength} bytes is over the limit`)
    inlined += file.content.byteLength
  }
  if (inlined > MAX_INLINE_TOTAL_BYTES) throw new MalformedMessageError(`inline files of ${inlined} bytes together are over the limit`)
  return msg
}

export function decodeResponse (bytes: Uint8Array): MarketResponse {
  const msg = decodeWith('market response', bytes, () => MarketResponse.decode(bytes))
  if (msg.bid != null && !ID.test(msg.bid.jobId)) throw new MalformedMessageError('bid without a valid job id')
  return msg
}

function checkStage (stage: NonNullable<GossipMessage['announce']>): void {
  if (!ID.test(stage.jobId)) throw new MalformedMessageError('stage with an invalid job id')
  if (!KIND.test(stage.kind)) throw new MalformedMessageError('stage with an invalid kind')
  for (const ref of [stage.input, ...stage.extra]) {
    if (ref == null || !HASH.test(ref.hash)) throw new MalformedMessageError('stage input with an invalid hash')
    checkGcodeFacts(ref)
  }
}

/** A printer acts on these: each is unknown (0, "") or within what a reader of a G-code could have found. */
function checkGcodeFacts (ref: BlobRef): void {
  const facts = ref.gcode
  if (facts == null) return
  const within = (value: number, [min, max]: readonly [number, number]): boolean => value === 0 || (Number.isFinite(value) && value >= min && value <= max)
  const named = (value: string): boolean => value === '' || FACT_NAME.test(value)
  const ok = within(facts.nozzleMm, NOZZLE_RANGE_MM) && within(facts.hotendC, TEMPERATURE_RANGE_C) && within(facts.bedC, TEMPERATURE_RANGE_C) &&
    [facts.extentXMm, facts.extentYMm, facts.extentZMm].every(mm => within(mm, [0, MAX_EXTENT_MM])) && named(facts.material) && named(facts.printerModel)
  if (!ok) throw new MalformedMessageError(`G-code facts of ${ref.name} out of range`)
}
