import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../src/net/noise-crypto.js'
import { cutAt } from '../cut-at.js'

const RUNS = { numRuns: 200 }
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
/** Messages either side of the size where the small-message cipher takes over, up to noise's largest. */
const message = fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ minLength: 60_000, maxLength: 65_519 }))
const sealing = fc.record({ text: message, cuts: fc.array(fc.nat(), { maxLength: 4 }), nonce: bytes(12), ad: fc.uint8Array({ maxLength: 32 }), key: bytes(32) })

const whole = (data: Uint8Array | Uint8ArrayList | { subarray: () => Uint8Array }): Uint8Array => data instanceof Uint8Array ? data : data.subarray()

/** What noise hands its cipher; its Uint8ArrayList is the package's 2.x, ours 3.x, alike in what the cipher uses. */
type CipherInput = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0]

/** The bytes as they may reach the cipher: in one array, or in pieces cut anywhere (yamux's header and data). */
function shaped (data: Uint8Array, cuts: number[]): CipherInput {
  if (cuts.length === 0) return data
  const list = new Uint8ArrayList()
  for (const piece of cutAt(data, cuts)) list.append(piece)
  return list as unknown as CipherInput
}

test('a message sealed with kept keys is byte for byte what noise\'s default cipher seals', () => {
  const crypto = noiseCrypto()
  fc.assert(fc.property(sealing, ({ text, cuts, nonce, ad, key }) => {
    const ours = whole(crypto.chaCha20Poly1305Encrypt(shaped(text, cuts), nonce, ad, key))
    assert.deepEqual(Buffer.from(ours), Buffer.from(whole(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))))
  }), RUNS)
})

test('sealed by either cipher, a message opens to its text with the other, whole or in pieces', () => {
  const crypto = noiseCrypto()
  fc.assert(fc.property(sealing, ({ text, cuts, nonce, ad, key }) => {
    const theirs = whole(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))
    assert.deepEqual(Buffer.from(whole(crypto.chaCha20Poly1305Decrypt(shaped(theirs, cuts), nonce, ad, key))), Buffer.from(text))
    const ours = whole(crypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))
    assert.deepEqual(Buffer.from(whole(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key))), Buffer.from(text))
  }), RUNS)
})

test('a message changed in transit, or opened with another nonce, is refused', () => {
  const crypto = noiseCrypto()
  fc.assert(fc.property(sealing, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ text, cuts, nonce, ad, key }, at, flip) => {
    const sealed = Buffer.from(whole(crypto.chaCha20Poly1305Encrypt(text, nonce, ad, key)))
    const changed = Buffer.from(sealed)
    changed[at % changed.byteLength] ^= flip
    assert.throws(() => crypto.chaCha20Poly1305Decrypt(shaped(changed, cuts), nonce, ad, key))
    const otherNonce = Buffer.from(nonce)
    otherNonce[0] ^= flip
    assert.throws(() => crypto.chaCha20Poly1305Decrypt(shaped(sealed, cuts), otherNonce, ad, key))
  }), RUNS)
})

test('a key array whose bytes change is used with its new bytes, never a kept copy of the old', () => {
  const crypto = noiseCrypto()
  const key = new Uint8Array(32).fill(7)
  const nonce = new Uint8Array(12)
  const text = new Uint8Array(5000).fill(1)
  const first = whole(crypto.chaCha20Poly1305Encrypt(text, nonce, new Uint8Array(0), key))
  key[31] = 8
  const second = whole(crypto.chaCha20Poly1305Encrypt(text, nonce, new Uint8Array(0), key))
  assert.notDeepEqual(Buffer.from(second), Buffer.from(first))
  assert.deepEqual(Buffer.from(second), Buffer.from(whole(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, new Uint8Array(0), key))))
})
