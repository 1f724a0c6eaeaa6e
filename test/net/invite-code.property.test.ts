import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodeInviteCode, encodeInviteCode, MAX_ADDRESSES, SECRET_BYTES, type InviteCode } from '../../src/net/invite-code.js'

const RUNS = { numRuns: 300 }
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map(octets => octets.join('.'))
const inviteCode: fc.Arbitrary<InviteCode> = fc.record({
  secret: fc.uint8Array({ minLength: SECRET_BYTES, maxLength: SECRET_BYTES }),
  expiresAt: fc.nat({ max: 0xffffffff }).map(s => s * 1000),
  addresses: fc.array(fc.record({ host: ipv4, port: fc.integer({ min: 1, max: 65535 }) }).map(a => ({ host: a.host, port: a.port })), { minLength: 1, maxLength: MAX_ADDRESSES })
}).map(c => ({ secret: c.secret, expiresAt: c.expiresAt, addresses: c.addresses }))

test('a code comes back as it was made, however it is cased, dashed or spaced', () => {
  fc.assert(fc.property(inviteCode, fc.boolean(), (code, spaced) => {
    const text = encodeInviteCode(code)
    assert.match(text, /^[0-9A-Z]{5}(-[0-9A-Z]{1,5})+$/)
    const typed = spaced ? text.toLowerCase().replace(/-/g, ' ') : text
    assert.deepEqual(decodeInviteCode(typed), code)
  }), RUNS)
})

test('any text gives a code or InviteCodeError, nothing else', () => {
  const codeLike = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZilou- '.split('')), maxLength: 80 })
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), codeLike), (text) => {
    try {
      const code = decodeInviteCode(text)
      assert.equal(code.secret.length, SECRET_BYTES)
      assert.ok(code.addresses.length >= 1 && code.addresses.length <= MAX_ADDRESSES)
      for (const a of code.addresses) assert.ok(a.port >= 1 && a.port <= 65535)
    } catch (err) {
      assert.equal((err as Error).name, 'InviteCodeError')
    }
  }), RUNS)
})

test('a mistyped code is refused before any network, and says it has a typo', () => {
  const text = encodeInviteCode({ secret: new Uint8Array(SECRET_BYTES).fill(7), expiresAt: 1_900_000_000_000, addresses: [{ host: '192.168.1.20', port: 40123 }] })
  const typo = text.slice(0, 8) + (text[8] === 'A' ? 'B' : 'A') + text.slice(9)
  assert.throws(() => decodeInviteCode(typo), { name: 'InviteCodeError', message: /typo/ })
  assert.throws(() => decodeInviteCode(text.slice(0, -3)), { name: 'InviteCodeError', message: /not an invite code/ })
  assert.throws(() => decodeInviteCode('hello world'), { name: 'InviteCodeError' })
})
