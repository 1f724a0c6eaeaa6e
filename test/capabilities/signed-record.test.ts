import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { CapabilityRecord, SignedCapability } from '../../protocols/capability.js'
import { openRecord, signRecord } from '../../src/capabilities/signed-record.js'

function record (peerId: string): CapabilityRecord {
  return {
    peerId,
    name: 'pi-mk3',
    seq: 7,
    issuedAt: 1_700_000_000_000,
    offers: ['print'],
    tools: [{ stage: 'slice', name: 'cura-wasm', version: '5.0', embedded: true }],
    printers: [{ name: 'mk3', state: 'idle', material: 'PLA', nozzleMm: 0.4, bedXMm: 250, bedYMm: 210, bedZMm: 210, currentJob: '', progress: 0, hotendC: 21, bedC: 20, stateSeq: 1 }],
    load: 0.25,
    queue: 1,
    startedAt: 1_699_999_000_000
  }
}

async function invalid (bytes: Uint8Array, from?: string): Promise<void> {
  await assert.rejects(openRecord(bytes, from), { name: 'InvalidCapabilityError' })
}

async function peer (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

test('a record signed by its own peer opens, relayed or direct from that peer', async () => {
  const a = await peer()
  const bytes = await signRecord(record(a.id), a.key)
  assert.deepEqual(await openRecord(bytes), record(a.id))
  assert.deepEqual(await openRecord(bytes, a.id), record(a.id))
})

test('a record signed by one key but naming another peer is refused', async () => {
  const a = await peer()
  const b = await peer()
  await invalid(await signRecord(record(b.id), a.key))
  await invalid(await signRecord(record(b.id), a.key), b.id)
  // Swapping in another peer's genuine signature does not help either.
  const mine = SignedCapability.decode(await signRecord(record(a.id), a.key))
  const theirs = SignedCapability.decode(await signRecord(record(b.id), b.key))
  await invalid(SignedCapability.encode({ record: theirs.record, signature: mine.signature }))
})

test('a genuine record that arrives from a different peer than it names is refused', async () => {
  const a = await peer()
  const b = await peer()
  await invalid(await signRecord(record(a.id), a.key), b.id)
})

test('a record naming a peer id that is no peer id, or that holds no key, is refused', async () => {
  const a = await peer()
  await invalid(await signRecord(record('not-a-peer-id'), a.key))
  await invalid(await signRecord(record(''), a.key))
  // An RSA-style peer id is a hash of the key: nothing to verify against.
  await invalid(await signRecord(record('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'), a.key))
})

test('flipping any bit of the signed record or its signature makes it refused', async () => {
  const a = await peer()
  const { record: inner, signature } = SignedCapability.decode(await signRecord(record(a.id), a.key))
  const flip = (bytes: Uint8Array, at: number, bit: number): Uint8Array<ArrayBuffer> => {
    const flipped = Uint8Array.from(bytes)
    flipped[at % bytes.byteLength] ^= 1 << bit
    return flipped
  }
  await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (at, bit, inRecord) => {
    const bytes = inRecord
      ? SignedCapability.encode({ record: flip(inner, at, bit), signature: Uint8Array.from(signature) })
      : SignedCapability.encode({ record: Uint8Array.from(inner), signature: flip(signature, at, bit) })
    await invalid(bytes)
  }), { numRuns: 200 })
})

test('a bit flipped in the envelope is refused or opens to the very record that was signed', async () => {
  // protobuf framing is malleable (a tag's wire type is not checked), but the signed bytes are not.
  const a = await peer()
  const bytes = await signRecord(record(a.id), a.key)
  await fc.assert(fc.asyncProperty(fc.nat({ max: bytes.byteLength - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
    const flipped = Uint8Array.from(bytes)
    flipped[at] ^= 1 << bit
    try {
      assert.deepEqual(await openRecord(flipped), record(a.id))
    } catch (err: any) {
      assert.equal(err.name, 'InvalidCapabilityError', err.stack)
    }
  }), { numRuns: 200 })
})

test('an oversized record is refused before it is decoded', async () => {
  const a = await peer()
  const big = { ...record(a.id), offers: [], tools: Array(60).fill({ stage: 'slice', name: 'x'.repeat(2000), version: '1', embedded: false }) }
  await invalid(await signRecord(big, a.key))
})

test('random bytes and truncations are refused with InvalidCapabilityError only', async () => {
  const a = await peer()
  const bytes = await signRecord(record(a.id), a.key)
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (random) => { await invalid(random) }), { numRuns: 200 })
  await fc.assert(fc.asyncProperty(fc.nat({ max: bytes.byteLength - 1 }), async (cut) => { await invalid(bytes.subarray(0, cut)) }), { numRuns: 100 })
  // A well-formed envelope around random inner bytes.
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 80 }), async (inner, signature) => {
    await invalid(SignedCapability.encode({ record: inner, signature }))
  }), { numRuns: 200 })
})
