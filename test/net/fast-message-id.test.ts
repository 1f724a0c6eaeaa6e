import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fastMessageId } from '../../src/net/fast-message-id.js'

const bytes = fc.uint8Array({ minLength: 0, maxLength: 40 })
const message = fc.record({ from: bytes, seqno: bytes, data: bytes, topic: fc.string() })
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

test('two messages share a duplicate key exactly when they share author and sequence number', () => {
  fc.assert(fc.property(message, message, (a, b) => {
    assert.equal(fastMessageId(a) === fastMessageId(b), same(a.from, b.from) && same(a.seqno, b.seqno))
  }), { numRuns: 500 })
})

test('the key reads only the bytes of its views, not the rest of a shared buffer', () => {
  const buffer = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
  const a = { from: buffer.subarray(0, 2), seqno: buffer.subarray(2, 4), topic: 't' }
  const b = { from: Uint8Array.from([1, 2]), seqno: Uint8Array.from([3, 4]), topic: 't' }
  assert.equal(fastMessageId(a), fastMessageId(b))
})
