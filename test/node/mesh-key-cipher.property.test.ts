import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { generateKey } from '@libp2p/pnet'
import fc from 'fast-check'
import { decodeMeshKey } from '../../src/node/mesh-key-format.js'
import { XSalsa20Stream } from '../../src/node/xsalsa20-stream.js'
import { cutAt } from '../cut-at.js'

/** Shrinking streams of 100 KB takes minutes; a failing case is shown as found. */
const STREAM_RUNS = { numRuns: 300, endOnFailure: true }
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
/** Streams up to a few blocks, and some past the 64 KiB slice the cipher works in. */
const text = fc.oneof(fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ minLength: 65_000, maxLength: 140_000 }))
const cuts = fc.array(fc.nat(), { maxLength: 12 })
/** Pieces that start at any byte of a buffer, as socket reads do, not only at aligned offsets. */
const shift = fc.integer({ min: 0, max: 3 })

interface PnetCipher { update: (input: Uint8Array) => Uint8Array }
/** The cipher @libp2p/pnet puts on the wire, the package it depends on (small inputs only: see mesh-key-protector.ts). */
const pnetCipher = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => PnetCipher

function runPieces (cipher: { update: (input: Uint8Array) => Uint8Array }, pieces: Uint8Array[], offset: number): Uint8Array {
  const out: Uint8Array[] = []
  for (const piece of pieces) {
    const shifted = new Uint8Array(piece.byteLength + offset)
    shifted.set(piece, offset)
    out.push(cipher.update(shifted.subarray(offset)))
  }
  return Buffer.concat(out)
}

test('any stream cut into any pieces enciphers as it does whole, and deciphers to itself', () => {
  fc.assert(fc.property(text, cuts, cuts, shift, bytes(32), bytes(24), (plain, sendCuts, receiveCuts, offset, key, nonce) => {
    const whole = new XSalsa20Stream(key, nonce).update(plain)
    const sent = runPieces(new XSalsa20Stream(key, nonce), cutAt(plain, sendCuts), offset)
    assert.deepEqual(sent, Buffer.from(whole))
    const received = runPieces(new XSalsa20Stream(key, nonce), cutAt(sent, receiveCuts), 0)
    assert.deepEqual(received, Buffer.from(plain))
  }), STREAM_RUNS)
})

test('the bytes on the wire are byte for byte those of @libp2p/pnet\'s cipher, cut differently on each side', () => {
  fc.assert(fc.property(text, cuts, cuts, bytes(32), bytes(24), (plain, ourCuts, theirCuts, key, nonce) => {
    const ours = runPieces(new XSalsa20Stream(key, nonce), cutAt(plain, ourCuts), 1)
    const theirs = runPieces(pnetCipher(nonce, key), cutAt(plain, theirCuts), 0)
    assert.deepEqual(ours, theirs)
  }), { ...STREAM_RUNS, numRuns: 100 })
})

test('a key @libp2p/pnet generates decodes to the secret written in it', () => {
  fc.assert(fc.property(fc.constantFrom('', '\n', '\r\n'), (ending) => {
    const file = new Uint8Array(95)
    generateKey(file)
    const hex = new TextDecoder().decode(file).split('\n')[2]
    const decoded = decodeMeshKey(Buffer.concat([file, Buffer.from(ending)]))
    assert.equal(Buffer.from(decoded).toString('hex'), hex)
  }), { numRuns: 20 })
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
