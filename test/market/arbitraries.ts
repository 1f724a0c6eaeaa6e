import fc from 'fast-check'
import { GossipMessage, MarketRequest, MarketResponse, type Award, type Bid, type BlobRef, type GcodeFacts, type StageSpec } from '../../protocols/market.js'

/** Arbitraries for market messages a well-behaved peer sends: every field within what the codec accepts. */

const text = fc.string({ unit: 'grapheme', maxLength: 24 })
const uint32 = fc.nat({ max: 2 ** 32 - 1 })
export const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b => Buffer.from(b).toString('hex'))
export const jobId = fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/)
const kind = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)

/** fc.record makes objects without a prototype; decoded messages are plain objects. */
const plain = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> => arb.map(r => ({ ...r }))

const factName = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 +._-]{0,63}$/))
/** A G-code's facts as the reader finds them: each unknown (0, "") or in range. */
export const gcodeFacts: fc.Arbitrary<GcodeFacts> = plain(fc.record({
  nozzleMm: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 5, noNaN: true })),
  material: factName,
  extentXMm: fc.double({ min: 0, max: 10000, noNaN: true }),
  extentYMm: fc.double({ min: 0, max: 10000, noNaN: true }),
  extentZMm: fc.double({ min: 0, max: 10000, noNaN: true }),
  hotendC: fc.double({ min: 0, max: 500, noNaN: true }),
  bedC: fc.double({ min: 0, max: 500, noNaN: true }),
  printerModel: factName
}))

export const blobRef: fc.Arbitrary<BlobRef> = fc.record({
  hash,
  size: fc.maxSafeNat(),
  name: text,
  holders: fc.array(text, { maxLength: 16 }),
  gcode: fc.option(gcodeFacts, { nil: undefined })
}).map(({ gcode, ...ref }) => gcode === undefined ? { ...ref } : { ...ref, gcode })

export const stageSpec: fc.Arbitrary<StageSpec> = plain(fc.record({
  jobId,
  index: uint32,
  attempt: uint32,
  kind,
  input: blobRef,
  extra: fc.array(blobRef, { maxLength: 8 }),
  params: fc.dictionary(text, text, { maxKeys: 8 }).map(d => new Map(Object.entries(d))),
  profile: text,
  printer: text,
  material: text,
  requester: text,
  requesterName: text
}))

const bid: fc.Arbitrary<Bid> = plain(fc.record({
  jobId,
  index: uint32,
  attempt: uint32,
  accept: fc.boolean(),
  reason: text,
  etaMs: uint32,
  etaKnown: fc.boolean(),
  holdsInput: fc.boolean(),
  cached: fc.boolean(),
  bidderName: text,
  busy: fc.boolean()
}))

const award: fc.Arbitrary<Award> = plain(fc.record({ jobId, index: uint32, attempt: uint32, winner: text, token: fc.maxSafeNat() }))

export const gossipMessage: fc.Arbitrary<GossipMessage> = fc.oneof(
  stageSpec.map(announce => ({ kind: GossipMessage.Kind.ANNOUNCE, announce })),
  bid.map(bid => ({ kind: GossipMessage.Kind.BID, bid })),
  award.map(award => ({ kind: GossipMessage.Kind.AWARD, award }))
)

/** A double that survives proto3 encoding as itself (-0 is a default value and comes back as 0). */
const progress = fc.double({ noNaN: true }).map(d => d === 0 ? 0 : d)

export const marketRequest: fc.Arbitrary<MarketRequest> = fc.record({
  kind: fc.constantFrom(MarketRequest.Kind.OFFER, MarketRequest.Kind.RENEW, MarketRequest.Kind.RESULT),
  stage: stageSpec,
  token: fc.maxSafeNat(),
  progress,
  log: fc.array(text, { maxLength: 20 }),
  ok: fc.boolean(),
  output: fc.option(blobRef, { nil: undefined }),
  error: text,
  command: fc.array(text, { maxLength: 20 }),
  cached: fc.boolean(),
  tool: text,
  started: fc.boolean(),
  retryable: fc.boolean(),
  id: uint32,
  inline: fc.array(plain(fc.record({ hash, content: fc.uint8Array({ maxLength: 64 }) })), { maxLength: 4 }),
  wantOutput: fc.boolean()
}, { requiredKeys: ['kind', 'stage', 'token', 'progress', 'log', 'ok', 'error', 'command', 'cached', 'tool', 'started', 'retryable', 'id', 'inline', 'wantOutput'] })
  .map(r => {
    // An absent optional message is an absent key after decoding, not a key holding undefined.
    const request = { ...r }
    if (request.output === undefined) delete request.output
    return request
  })

export const marketResponse: fc.Arbitrary<MarketResponse> = plain(fc.record({
  status: fc.constantFrom(...Object.values(MarketResponse.Status).filter((s): s is MarketResponse.Status => typeof s === 'string')),
  message: text,
  id: uint32
}))

/** A bid as an executor sends it to the requester over the market stream: a bid and no stage. */
export const bidRequest: fc.Arbitrary<MarketRequest> = fc.tuple(bid, uint32).map(([b, id]) => ({
  kind: MarketRequest.Kind.BID, bid: b, token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, id, inline: [], wantOutput: false
}))
