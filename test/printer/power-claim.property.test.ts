import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodePowerClaim, encodePowerClaim, MAX_POWER_CLAIM_BYTES, PowerClaim } from '../../src/printer/power-claim.js'

const RUNS = { numRuns: 300 }

const claim: fc.Arbitrary<PowerClaim> = fc.record({
  group: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
  printer: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  kind: fc.constantFrom(PowerClaim.Kind.WANT, PowerClaim.Kind.HOLD, PowerClaim.Kind.RELEASE),
  wantedAt: fc.double({ min: 1, max: 1e15, noNaN: true }),
  leaseMs: fc.integer({ min: 1000, max: 120_000 }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
}).map(c => ({ ...c }))

/** Network bytes either decode to a claim the budget may keep, or throw MalformedPowerClaimError. */
function decodesOrMalformed (bytes: Uint8Array): PowerClaim | undefined {
  try {
    return decodePowerClaim(bytes)
  } catch (err) {
    assert.equal((err as Error).name, 'MalformedPowerClaimError', (err as Error).stack)
    return undefined
  }
}

test('valid power claims round-trip and stay under the size limit', () => {
  fc.assert(fc.property(claim, (c) => {
    const bytes = encodePowerClaim(c)
    assert.ok(bytes.byteLength <= MAX_POWER_CLAIM_BYTES, `${bytes.byteLength} bytes`)
    assert.deepEqual(decodePowerClaim(bytes), c)
  }), RUNS)
})

test('any bytes decode to a well-formed claim or are refused as MalformedPowerClaimError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    const decoded = decodesOrMalformed(bytes)
    if (decoded === undefined) return
    assert.ok(decoded.leaseMs >= 1000 && decoded.leaseMs <= 120_000)
    assert.ok(Number.isSafeInteger(decoded.seq) && decoded.seq >= 1)
  }), { numRuns: 2000 })
})

test('a claim with a field out of bounds is refused, naming it', () => {
  fc.assert(fc.property(claim, fc.constantFrom('group', 'printer', 'leaseMs', 'seq', 'wantedAt'), (c, field) => {
    const bad = { ...c, group: field === 'group' ? '../x' : c.group, printer: field === 'printer' ? '' : c.printer, leaseMs: field === 'leaseMs' ? 10 : c.leaseMs, seq: field === 'seq' ? 0 : c.seq, wantedAt: field === 'wantedAt' ? -1 : c.wantedAt }
    assert.throws(() => decodePowerClaim(PowerClaim.encode(bad)), { name: 'MalformedPowerClaimError', message: new RegExp(field === 'leaseMs' ? 'lease' : field) })
  }), RUNS)
})
