import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { GossipMessage, MarketRequest, MarketResponse } from '../../protocols/market.js'
import { decodeGossip, decodeRequest, decodeResponse } from '../../src/market/codec.js'
import { MAX_LOG_LINES, MAX_MARKET_MESSAGE_BYTES } from '../../src/market/constants.js'
import { bidRequest, blobRef, gcodeFacts, gossipMessage, hash, marketRequest, marketResponse, stageSpec } from './arbitraries.js'

const RUNS = { numRuns: 200 }
const DECODERS: Array<(bytes: Uint8Array) => unknown> = [decodeGossip, decodeRequest, decodeResponse]

/** Decoding network bytes either returns a message or throws MalformedMessageError; any other throw is a bug. */
function decodesOrMalformed<T> (decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T | undefined {
  try {
    return decode(bytes)
  } catch (err) {
    assert.equal((err as Error).name, 'MalformedMessageError', (err as Error).stack)
    return undefined
  }
}

function malformed (decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  assert.throws(() => decode(bytes), { name: 'MalformedMessageError' })
}

const ID = /^[A-Za-z0-9-]{1,64}$/
const HASH = /^[0-9a-f]{64}$/

/** What a receiver may rely on in any gossip message the codec lets through. */
function checkGossipInvariants (msg: GossipMessage): void {
  const jobId = msg.announce?.jobId ?? msg.bid?.jobId ?? msg.award?.jobId
  assert.match(jobId ?? '', ID)
  if (msg.kind === GossipMessage.Kind.ANNOUNCE) assert.ok(msg.announce != null)
  if (msg.kind === GossipMessage.Kind.BID) assert.ok(msg.bid != null)
  if (msg.kind === GossipMessage.Kind.AWARD) assert.ok(msg.award != null)
  if (msg.announce != null) {
    assert.match(msg.announce.input?.hash ?? '', HASH)
    for (const ref of msg.announce.extra) assert.match(ref.hash, HASH)
    for (const facts of [msg.announce.input?.gcode, ...msg.announce.extra.map(r => r.gcode)]) {
      if (facts == null) continue
      for (const mm of [facts.nozzleMm, facts.extentXMm, facts.extentYMm, facts.extentZMm, facts.hotendC, facts.bedC]) assert.ok(Number.isFinite(mm) && mm >= 0 && mm <= 10000)
      for (const name of [facts.material, facts.printerModel]) assert.ok(!name.includes('/'))
    }
  }
}

/** A protobuf varint. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return out
}

test('valid gossip messages round-trip', () => {
  fc.assert(fc.property(gossipMessage, (msg) => {
    const decoded = decodeGossip(GossipMessage.encode(msg))
    assert.deepEqual(decoded, msg)
    checkGossipInvariants(decoded)
  }), RUNS)
})

test('valid market requests and responses round-trip', () => {
  fc.assert(fc.property(marketRequest, (msg) => {
    assert.deepEqual(decodeRequest(MarketRequest.encode(msg)), msg)
  }), RUNS)
  fc.assert(fc.property(bidRequest, (msg) => {
    assert.deepEqual(decodeRequest(MarketRequest.encode(msg)), msg)
  }), RUNS)
  fc.assert(fc.property(marketResponse, (msg) => {
    assert.deepEqual(decodeResponse(MarketResponse.encode(msg)), msg)
  }), RUNS)
})

test('random bytes: a checked message or MalformedMessageError, nothing else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    const gossip = decodesOrMalformed(decodeGossip, bytes)
    if (gossip != null) checkGossipInvariants(gossip)
    const request = decodesOrMalformed(decodeRequest, bytes)
    if (request != null) assert.match((request.kind === MarketRequest.Kind.BID ? request.bid?.jobId : request.stage?.jobId) ?? '', ID)
    decodesOrMalformed(decodeResponse, bytes)
  }), { numRuns: 2000 })
})

test('every truncation of a valid message decodes or fails as MalformedMessageError', () => {
  fc.assert(fc.property(gossipMessage, fc.nat(), (msg, cut) => {
    const bytes = GossipMessage.encode(msg)
    const decoded = decodesOrMalformed(decodeGossip, bytes.subarray(0, cut % bytes.byteLength))
    if (decoded != null) checkGossipInvariants(decoded)
  }), RUNS)
  fc.assert(fc.property(marketRequest, fc.nat(), (msg, cut) => {
    const bytes = MarketRequest.encode(msg)
    decodesOrMalformed(decodeRequest, bytes.subarray(0, cut % bytes.byteLength))
  }), RUNS)
})

test('huge length prefixes are refused by name, without allocating what they claim', () => {
  // Field 2 (announce / stage), wire type 2, then a length far beyond the bytes that follow.
  const claimed = fc.oneof(fc.integer({ min: 1000, max: 2 ** 31 - 1 }), fc.constantFrom(2 ** 32 - 1, 2 ** 53 - 1))
  fc.assert(fc.property(fc.integer({ min: 1, max: 13 }), claimed, fc.uint8Array({ maxLength: 64 }), (field, length, tail) => {
    const bytes = Uint8Array.from([...varint((field << 3) | 2), ...varint(length), ...tail])
    for (const decode of DECODERS) decodesOrMalformed(decode, bytes)
  }), RUNS)
  for (const decode of DECODERS) {
    malformed(decode, Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]))
    malformed(decode, new Uint8Array(MAX_MARKET_MESSAGE_BYTES + 1))
  }
})

test('fields of the wrong wire type, spliced into valid messages, fail by name', () => {
  const wireType = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7)
  const splice = fc.record({ field: fc.integer({ min: 1, max: 13 }), wireType, payload: fc.uint8Array({ maxLength: 24 }), at: fc.nat() })
  fc.assert(fc.property(gossipMessage, marketRequest, splice, (gossip, request, { field, wireType, payload, at }) => {
    const foreign = [...varint((field << 3) | wireType), ...payload]
    for (const [decode, valid] of [[decodeGossip, GossipMessage.encode(gossip)], [decodeRequest, MarketRequest.encode(request)]] as const) {
      const cut = at % (valid.byteLength + 1)
      const bytes = Uint8Array.from([...valid.subarray(0, cut), ...foreign, ...valid.subarray(cut)])
      const decoded = decodesOrMalformed(decode as (b: Uint8Array) => unknown, bytes)
      if (decoded != null && decode === decodeGossip) checkGossipInvariants(decoded as GossipMessage)
    }
  }), RUNS)
})

test('a string where a number belongs, or a message where a string belongs, is refused by name', () => {
  // StageSpec.index (field 2) as a length-delimited string; BlobRef.hash (field 1) as a varint.
  const badIndex = Uint8Array.from([0x12, 0x05, 0x12, 0x03, 0x61, 0x62, 0x63])
  const numericJobId = Uint8Array.from([0x12, 0x02, 0x08, 0x05])
  for (const decode of [decodeGossip, decodeRequest]) {
    malformed(decode, badIndex)
    malformed(decode, numericJobId)
  }
})

test('fields a receiver acts on are checked: job id, kind, input and extra hashes, result hash', () => {
  fc.assert(fc.property(stageSpec, blobRef, fc.string({ maxLength: 70 }), (spec, ref, junk) => {
    fc.pre(!HASH.test(junk))
    const announce = (s: typeof spec): Uint8Array => GossipMessage.encode({ kind: GossipMessage.Kind.ANNOUNCE, announce: s })
    malformed(decodeGossip, announce({ ...spec, input: undefined }))
    malformed(decodeGossip, announce({ ...spec, input: { ...ref, hash: junk } }))
    malformed(decodeGossip, announce({ ...spec, extra: [...spec.extra, { ...ref, hash: junk }] }))
    if (!ID.test(junk)) {
      malformed(decodeGossip, announce({ ...spec, jobId: junk }))
      malformed(decodeGossip, GossipMessage.encode({ kind: GossipMessage.Kind.AWARD, award: { jobId: junk, index: 0, attempt: 1, winner: 'x', token: 1 } }))
    }
    malformed(decodeGossip, announce({ ...spec, kind: `../${junk}` }))
    const request = { kind: MarketRequest.Kind.RESULT, stage: spec, token: 1, progress: 0, log: [], ok: true, error: '', command: [], cached: false, tool: '', started: false, retryable: false }
    malformed(decodeRequest, MarketRequest.encode({ ...request, output: { ...ref, hash: junk } }))
    malformed(decodeRequest, MarketRequest.encode({ ...request, stage: undefined }))
    if (!ID.test(junk)) {
      const bid = { jobId: junk, index: 0, attempt: 1, accept: true, reason: '', etaMs: 0, etaKnown: false, holdsInput: false, cached: false, bidderName: 'x', busy: false }
      malformed(decodeRequest, MarketRequest.encode({ ...request, kind: MarketRequest.Kind.BID, bid }))
      malformed(decodeRequest, MarketRequest.encode({ ...request, kind: MarketRequest.Kind.AWARD, award: { jobId: junk, index: 0, attempt: 1, winner: 'x', token: 1 } }))
      // The bid that answers an announcement.
      malformed(decodeResponse, MarketResponse.encode({ status: MarketResponse.Status.OK, message: '', id: 1, bid }))
    }
    malformed(decodeRequest, MarketRequest.encode({ ...request, kind: MarketRequest.Kind.ANNOUNCE, stage: { ...spec, jobId: `../${junk}` } }))
  }), RUNS)
  // An award request without its award.
  malformed(decodeRequest, MarketRequest.encode({ kind: MarketRequest.Kind.AWARD, token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, id: 1, inline: [], wantOutput: false }))
  // A bid request without its bid.
  malformed(decodeRequest, MarketRequest.encode({ kind: MarketRequest.Kind.BID, token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, id: 1, inline: [], wantOutput: false }))
  // A kind with no body to go with it.
  malformed(decodeGossip, GossipMessage.encode({ kind: GossipMessage.Kind.BID, award: { jobId: 'j1', index: 0, attempt: 1, winner: 'x', token: 1 } }))
  malformed(decodeGossip, GossipMessage.encode({ kind: GossipMessage.Kind.ANNOUNCE }))
})

test('G-code facts a printer acts on are checked: a nozzle, temperature or extent out of range, or a name with a path in it, is dropped', () => {
  const wild = fc.oneof(fc.double({ min: -1e9, max: -1e-6 }), fc.double({ min: 10001, max: 1e300 }), fc.constant(Number.NaN), fc.constant(Infinity))
  const badName = fc.oneof(fc.constant('../etc/passwd'), fc.string({ maxLength: 70 }).filter(s => s !== '' && !/^[A-Za-z0-9][A-Za-z0-9 +._-]{0,63}$/.test(s)))
  const field = fc.constantFrom('nozzleMm', 'extentXMm', 'extentYMm', 'extentZMm', 'hotendC', 'bedC')
  fc.assert(fc.property(stageSpec, blobRef, gcodeFacts, wild, badName, field, (spec, ref, facts, value, name, key) => {
    const announce = (input: typeof ref): Uint8Array => GossipMessage.encode({ kind: GossipMessage.Kind.ANNOUNCE, announce: { ...spec, input } })
    assert.deepEqual(decodeGossip(announce({ ...ref, gcode: facts })).announce?.input?.gcode, facts, 'facts in range pass')
    malformed(decodeGossip, announce({ ...ref, gcode: { ...facts, [key]: value } }))
    malformed(decodeGossip, announce({ ...ref, gcode: { ...facts, material: name } }))
    const request = { kind: MarketRequest.Kind.RESULT, stage: spec, token: 1, progress: 0, log: [], ok: true, error: '', command: [], cached: false, tool: '', started: false, retryable: false }
    malformed(decodeRequest, MarketRequest.encode({ ...request, output: { ...ref, gcode: { ...facts, printerModel: name } } }))
  }), RUNS)
})

test('repeated fields are capped: extras, params, holders, log lines', () => {
  fc.assert(fc.property(stageSpec, hash, (spec, h) => {
    const ref = { hash: h, size: 1, name: 'x', holders: [] }
    const announce = (s: typeof spec): Uint8Array => GossipMessage.encode({ kind: GossipMessage.Kind.ANNOUNCE, announce: s })
    const request = (s: typeof spec, log: string[] = []): Uint8Array =>
      MarketRequest.encode({ kind: MarketRequest.Kind.RENEW, stage: s, token: 1, progress: 0, log, ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false })
    const tooMany = [
      { ...spec, extra: Array(65).fill(ref) },
      { ...spec, params: new Map(Array.from({ length: 65 }, (_, i) => [`p${i}`, 'v'])) },
      { ...spec, input: { ...ref, holders: Array(17).fill('peer') } }
    ]
    for (const s of tooMany) {
      malformed(decodeGossip, announce(s))
      malformed(decodeRequest, request(s))
    }
    malformed(decodeRequest, request(spec, Array(MAX_LOG_LINES + 1).fill('line')))
    // At the caps exactly, all is well.
    assert.equal(decodeGossip(announce({ ...spec, extra: Array(64).fill(ref) })).announce?.extra.length, 64)
    assert.equal(decodeRequest(request(spec, Array(MAX_LOG_LINES).fill('line'))).log.length, MAX_LOG_LINES)
  }), { numRuns: 30 })
})
