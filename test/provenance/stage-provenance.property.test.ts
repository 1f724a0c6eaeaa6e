import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { verifyChain } from '../../src/provenance/provenance-chain.js'
import { openProvenance, signProvenance, type StageProvenance } from '../../src/provenance/stage-provenance.js'

const RUNS = { numRuns: 100 }
const hash = fc.stringMatching(/^[0-9a-f]{64}$/)

async function signer (): Promise<{ peerId: string, sign: (bytes: Uint8Array) => Promise<Uint8Array> }> {
  const key = await generateKeyPair('Ed25519')
  return { peerId: peerIdFromPrivateKey(key).toString(), sign: async (bytes) => key.sign(bytes) }
}

function record (peerId: string, index: number, input: string, output: string): StageProvenance {
  return {
    jobId: 'j1', index, kind: index === 0 ? 'scad' : 'slice', inputs: [input], tool: 'openscad', toolVersion: '2021.01', command: ['openscad', '-o', 'out.stl'],
    params: new Map([['size', '14']]), profile: '', printer: '', material: '', output, outputSize: 1234, peerId, startedAt: 1, finishedAt: 2, cached: false, requester: peerId
  }
}

/** Network bytes either open to a record signed by the peer it names, or throw InvalidProvenanceError. */
async function opensOrInvalid (bytes: Uint8Array): Promise<StageProvenance | undefined> {
  try {
    return await openProvenance(bytes)
  } catch (err) {
    assert.equal((err as Error).name, 'InvalidProvenanceError', (err as Error).stack)
    return undefined
  }
}

test('any bytes open to a signed record or are refused as InvalidProvenanceError', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
    assert.equal(await opensOrInvalid(bytes), undefined, 'random bytes never carry a valid signature')
  }), { numRuns: 1000 })
})

test('a signed record opens as signed; with any one bit changed it is refused, or opens to the very record signed', async () => {
  const { peerId, sign } = await signer()
  await fc.assert(fc.asyncProperty(hash, hash, fc.nat(), fc.nat(7), async (input, output, at, bit) => {
    const signed = await signProvenance(record(peerId, 0, input, output), sign)
    assert.deepEqual((await openProvenance(signed)).output, output)
    const changed = new Uint8Array(signed)
    changed[at % changed.length] ^= 1 << bit
    // A bit of the envelope's framing (a field's wire type) may change without changing what was signed.
    const opened = await opensOrInvalid(changed)
    if (opened !== undefined) assert.deepEqual(opened, await openProvenance(signed))
  }), RUNS)
})

test('a chain verifies only when each stage starts from the output of the one before and the last made the file', async () => {
  const { peerId, sign } = await signer()
  const [design, stl, gcode, other] = ['a', 'b', 'c', 'd'].map(c => c.repeat(64))
  const scad = await signProvenance(record(peerId, 0, design, stl), sign)
  const slice = await signProvenance(record(peerId, 1, stl, gcode), sign)
  assert.equal((await verifyChain(gcode, [scad, slice])).verified, true)
  const unlinked = await signProvenance(record(peerId, 1, other, gcode), sign)
  assert.deepEqual((await verifyChain(gcode, [scad, unlinked])).problems, ['stage 2 (slice) did not start from the output of stage 1'])
  assert.match((await verifyChain(other, [scad, slice])).problems.join(), /the last stage made c{64}, not this file/)
  assert.deepEqual((await verifyChain(gcode, [scad, new Uint8Array(0)])).problems, ['stage 2 has no signed record'])
})
