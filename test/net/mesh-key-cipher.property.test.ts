import assert from 'node:assert/strict'
import { createCipheriv } from 'node:crypto'
import { test } from 'node:test'
import { chacha20 } from '@noble/ciphers/chacha.js'
import fc from 'fast-check'
import { ChaCha20Stream, KEY_LIFETIME_BYTES } from '../../src/net/chacha20-stream.js'
import { directionKey, type ConnectionSecrets } from '../../src/net/mesh-key-derivation.js'
import { decodeMeshKey, encodeMeshKey, MESH_KEY_TAG } from '../../src/net/mesh-key-format.js'
import { newMeshKey } from '../../src/net/mesh-key.js'
import { cutAt } from '../cut-at.js'

/** Shrinking streams of 100 KB takes minutes; a failing case is shown as found. */
const STREAM_RUNS = { numRuns: 300, endOnFailure: true }
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
/** Streams up to a few blocks, and some past the 64 KiB a socket read often holds. */
const text = fc.oneof(fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ minLength: 65_000, maxLength: 140_000 }))
const cuts = fc.array(fc.nat(), { maxLength: 12 })
/** Pieces that start at any byte of a buffer, as socket reads do, not only at aligned offsets. */
const shift = fc.integer({ min: 0, max: 3 })
/**
 * A stream, and a key lifetime as in use or small enough that the stream runs through up to 40 keys (each a
 * key derivation), changing key inside blocks too.
 */
const textAndLifetime = text.chain(plain => fc.tuple(fc.constant(plain), fc.oneof(
  fc.constant(KEY_LIFETIME_BYTES),
  fc.integer({ min: Math.max(1, Math.ceil(plain.byteLength / 40)), max: Math.max(1, plain.byteLength) })
)))
const secrets: fc.Arbitrary<ConnectionSecrets> = fc.record({ secret: bytes(32), dialerNonce: bytes(24), listenerNonce: bytes(24) })

/** A stream whose epoch keys are the derived ones of what the dialer sends. */
function dialerStream (keys: ConnectionSecrets, keyLifetimeBytes: number): ChaCha20Stream {
  return new ChaCha20Stream(epoch => directionKey(keys, 'dialer', epoch), keyLifetimeBytes)
}

function runPieces (cipher: ChaCha20Stream, pieces: Uint8Array[], offset: number): Buffer {
  const out: Uint8Array[] = []
  for (const piece of pieces) {
    const shifted = new Uint8Array(piece.byteLength + offset)
    shifted.set(piece, offset)
    out.push(cipher.update(shifted.subarray(offset)))
  }
  return Buffer.concat(out)
}

test('any stream cut into any pieces enciphers as it does whole, and deciphers to itself', () => {
  fc.assert(fc.property(textAndLifetime, cuts, cuts, shift, secrets, ([plain, keyLifetime], sendCuts, receiveCuts, offset, keys) => {
    const whole = dialerStream(keys, keyLifetime).update(plain)
    const sent = runPieces(dialerStream(keys, keyLifetime), cutAt(plain, sendCuts), offset)
    assert.deepEqual(sent, Buffer.from(whole))
    const received = runPieces(dialerStream(keys, keyLifetime), cutAt(sent, receiveCuts), 0)
    assert.deepEqual(received, Buffer.from(plain))
  }), STREAM_RUNS)
})

test('each key lifetime of the stream is RFC 8439 ChaCha20 under that epoch\'s key from counter and nonce zero', () => {
  fc.assert(fc.property(textAndLifetime, cuts, secrets, ([plain, keyLifetime], sendCuts, keys) => {
    const sent = runPieces(dialerStream(keys, keyLifetime), cutAt(plain, sendCuts), 1)
    for (let epoch = 0; epoch * keyLifetime < plain.byteLength; epoch++) {
      const from = epoch * keyLifetime
      const key = directionKey(keys, 'dialer', epoch)
      const segment = plain.subarray(from, from + keyLifetime)
      const expected = createCipheriv('chacha20', key, new Uint8Array(16)).update(segment)
      assert.deepEqual(sent.subarray(from, from + keyLifetime), expected, `epoch ${epoch}`)
      // Another implementation, so the known answer is not OpenSSL against itself.
      if (epoch === 0) assert.deepEqual(Buffer.from(chacha20(key, new Uint8Array(12), segment)), expected)
    }
  }), { ...STREAM_RUNS, numRuns: 100 })
})

test('a stream deciphered under any other mesh key, nonce or direction comes out as noise, not the text', () => {
  const differs = fc.constantFrom('secret', 'dialerNonce', 'listenerNonce', 'direction') as fc.Arbitrary<keyof ConnectionSecrets | 'direction'>
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 700 }), secrets, differs, fc.nat(), (plain, keys, what, at) => {
    const sent = dialerStream(keys, KEY_LIFETIME_BYTES).update(plain)
    let wrong: ChaCha20Stream
    if (what === 'direction') {
      wrong = new ChaCha20Stream(epoch => directionKey(keys, 'listener', epoch))
    } else {
      const changed = Uint8Array.from(keys[what])
      changed[at % changed.byteLength] ^= 1
      wrong = dialerStream({ ...keys, [what]: changed }, KEY_LIFETIME_BYTES)
    }
    assert.notDeepEqual(Buffer.from(wrong.update(sent)), Buffer.from(plain))
  }), { numRuns: 400 })
})

test('the two directions and every epoch of a connection have keys of their own', () => {
  fc.assert(fc.property(secrets, fc.nat({ max: 1000 }), (keys, epoch) => {
    const derived = [directionKey(keys, 'dialer', epoch), directionKey(keys, 'listener', epoch), directionKey(keys, 'dialer', epoch + 1)]
    assert.equal(new Set(derived.map(key => Buffer.from(key).toString('hex'))).size, 3)
  }), { numRuns: 200 })
})

test('a key lifetime outside 1 byte to the 2^32 blocks of the counter is refused', () => {
  for (const bad of [0, -1, 1.5, KEY_LIFETIME_BYTES + 1, Number.NaN]) {
    assert.throws(() => new ChaCha20Stream(() => new Uint8Array(32), bad), RangeError)
  }
})

test('a key file meshnode writes decodes to the secret written in it, whatever the line ending after it', () => {
  fc.assert(fc.property(bytes(32), fc.constantFrom('', '\n', '\r\n'), (secret, ending) => {
    const decoded = decodeMeshKey(Buffer.concat([encodeMeshKey(secret), Buffer.from(ending)]))
    assert.deepEqual(Buffer.from(decoded), Buffer.from(secret))
  }), { numRuns: 50 })
  const file = new TextDecoder().decode(newMeshKey())
  assert.match(file, new RegExp(`^${MESH_KEY_TAG}\\n/base16/\\n[0-9a-f]{64}$`))
})

test('anything else given as a key is refused with InvalidMeshKeyError, never read as a key', () => {
  const keyLike = fc.tuple(fc.constantFrom('/key/swarm/psk/1.0.0/', '/key/swarm/psk/2.0.0/', ''), fc.constantFrom('/base16/', '/base64/', '/bin/'), fc.string({ unit: fc.constantFrom(...'0123456789abcdefg \n'), maxLength: 70 }))
    .map(([tag, codec, rest]) => new TextEncoder().encode(`${tag}\n${codec}\n${rest}`))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), keyLike), (file) => {
    const lines = new TextDecoder().decode(file).split(/\r\n|\r|\n/)
    const wellFormed = lines[0] === '/key/swarm/psk/1.0.0/' && lines[1] === '/base16/' && /^[0-9a-f]{64}$/i.test(lines[2]?.trim() ?? '') && lines.slice(3).every(line => line.trim() === '')
    let secret: Uint8Array | undefined
    try {
      secret = decodeMeshKey(file)
    } catch (err) {
      assert.equal((err as Error).name, 'InvalidMeshKeyError', (err as Error).stack)
    }
    assert.equal(secret?.byteLength, wellFormed ? 32 : undefined)
  }), { numRuns: 2000 })
})
