import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { BadEntryError, decodeEntry, encodeEntry } from '../../src/library/entry-codec.js'
import { MAX_ENTRY_BYTES } from '../../src/library/limits.js'
import { decodeBatch, encodeBatch, packBatches } from '../../src/library/entry-batch.js'
import { decodeSyncRequest } from '../../src/library/library-sync.js'
import { entryState } from './arbitraries.js'

test('an entry decodes to itself', () => {
  fc.assert(fc.property(entryState, (entry) => { assert.deepEqual(decodeEntry(encodeEntry(entry)), JSON.parse(JSON.stringify(entry))) }))
})

test('any bytes decode to an entry or a BadEntryError, never another error', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    try {
      decodeEntry(bytes)
    } catch (err: any) {
      assert.equal(err.name, 'BadEntryError')
    }
  }))
})

test('a changed field of a good entry is decoded or refused naming a BadEntryError', () => {
  const junk = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 2 }))
  const field = fc.constantFrom('id', 'created', 'name', 'tags', 'versions', 'outputs', 'holders', 'removed', 'extra')
  fc.assert(fc.property(entryState, field, junk, (entry, key, value) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...entry, [key]: value }))
    try {
      decodeEntry(bytes)
    } catch (err: any) {
      assert.ok(err instanceof BadEntryError, String(err))
    }
  }))
})

test('an entry over the size limit is refused before it is parsed', () => {
  assert.throws(() => decodeEntry(new Uint8Array(MAX_ENTRY_BYTES + 1)), { name: 'BadEntryError', message: /over the limit/ })
})

test('a batch decodes to its entries, fits its message, and any bytes decode or give a BadEntryError', () => {
  fc.assert(fc.property(fc.array(entryState, { maxLength: 5 }), (entries) => {
    const batches = packBatches(entries, () => assert.fail('no entry here is too large'))
    assert.deepEqual(batches.flatMap(b => decodeBatch(encodeBatch(b))), JSON.parse(JSON.stringify(entries)))
  }))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map(j => new TextEncoder().encode(j))), (bytes) => {
    try {
      decodeBatch(bytes)
    } catch (err: any) {
      assert.equal(err.name, 'BadEntryError')
    }
  }))
})

test('a sync request is an entry id or "", and anything else a BadSyncRequestError', () => {
  assert.equal(decodeSyncRequest(new TextEncoder().encode('{"after":""}')), '')
  assert.equal(decodeSyncRequest(new TextEncoder().encode('{"after":"0123456789ab"}')), '0123456789ab')
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.json().map(j => new TextEncoder().encode(j)), fc.string().map(s => new TextEncoder().encode(JSON.stringify({ after: s })))), (bytes) => {
    try {
      assert.match(decodeSyncRequest(bytes), /^([0-9a-f]{12})?$/)
    } catch (err: any) {
      assert.equal(err.name, 'BadSyncRequestError')
    }
  }))
})
