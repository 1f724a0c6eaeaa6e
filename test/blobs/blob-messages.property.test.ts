import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { BLOB_PROTOCOL } from '../../src/blobs/index.js'
import { BlobRequest, BlobResponse, decodeBlobRequest, decodeBlobResponse } from '../../src/blobs/blob-messages.js'
import { MiB, startBlobPeer, startPair, storeRandomBlob } from './fixtures.js'
import { sendRawBytes } from './raw-exchange.js'

const NAMED_FETCH_ERRORS = new Set(['BlobFetchFailedError', 'BlobHashMismatchError', 'BlobSizeMismatchError', 'BlobTooLargeError', 'BlobNotFoundError', 'BlobRequestRefusedError'])

/** Decoding network bytes either succeeds with sane values or fails with BlobProtocolError, nothing else. */
function decodesOrFailsByName<T> (decode: () => T): T | undefined {
  try {
    return decode()
  } catch (err) {
    assert.equal((err as Error).name, 'BlobProtocolError', (err as Error).stack)
    return undefined
  }
}

test('random bytes decode to a sane request or a BlobProtocolError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const request = decodesOrFailsByName(() => decodeBlobRequest(bytes))
    if (request != null) {
      assert.ok(Number.isSafeInteger(request.offset) && request.offset >= 0)
      assert.ok(Number.isSafeInteger(request.maxSize) && request.maxSize >= 0)
      assert.equal(typeof request.hash, 'string')
    }
  }), { numRuns: 2000 })
})

test('random bytes decode to a response with a known status or a BlobProtocolError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const response = decodesOrFailsByName(() => decodeBlobResponse(bytes))
    if (response != null) {
      assert.notEqual(response.status, BlobResponse.Status.UNKNOWN)
      assert.ok(Number.isSafeInteger(response.size) && response.size >= 0)
    }
  }), { numRuns: 2000 })
})

test('requests and responses survive encoding, and any truncation fails by name or decodes a prefix', () => {
  const request = fc.record({ hash: fc.string({ maxLength: 80 }), offset: fc.maxSafeNat(), maxSize: fc.maxSafeNat() })
  const status = fc.constantFrom(...Object.values(BlobResponse.Status).filter((value): value is BlobResponse.Status => typeof value === 'string' && value !== 'UNKNOWN'))
  const response = fc.record({ status, size: fc.maxSafeNat(), message: fc.string({ maxLength: 80 }) })
  fc.assert(fc.property(request, fc.nat(), (value, cut) => {
    const bytes = BlobRequest.encode(value)
    assert.deepEqual(decodeBlobRequest(bytes), { ...value })
    decodesOrFailsByName(() => decodeBlobRequest(bytes.subarray(0, cut % (bytes.byteLength + 1))))
  }), { numRuns: 1000 })
  fc.assert(fc.property(response, fc.nat(), (value, cut) => {
    const bytes = BlobResponse.encode(value)
    assert.deepEqual(decodeBlobResponse(bytes), { ...value })
    decodesOrFailsByName(() => decodeBlobResponse(bytes.subarray(0, cut % (bytes.byteLength + 1))))
  }), { numRuns: 1000 })
})

test('a serving node given random bytes and huge length prefixes never serves and keeps working', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, MiB)
  const hugePrefix = fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 3, maxLength: 10 }).map(bytes => Uint8Array.from([...bytes, 0x01]))
  await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }), hugePrefix), async (bytes) => {
    const answer = await sendRawBytes(client, server.node.peerId, bytes)
    if (!(answer instanceof Error)) assert.notEqual(answer.status, BlobResponse.Status.OK)
  }), { numRuns: 40 })
  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.size, MiB)
})

test('a fetch from a peer that answers with random bytes fails with a named error and the node keeps working', async (t) => {
  const client = await startBlobPeer(t, { maxRetries: 0, maxRestarts: 0, timeoutMs: 2_000 })
  const liar = await startBlobPeer(t)
  const honest = await startBlobPeer(t)
  const blob = await storeRandomBlob(t, honest, MiB)
  let reply = new Uint8Array()
  await liar.blobs.stop()
  await liar.node.handle(BLOB_PROTOCOL, async (stream) => {
    if (reply.byteLength > 0) stream.send(reply)
    await stream.close()
  })
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
    reply = bytes
    await assert.rejects(client.blobs.fetch(liar.node.getMultiaddrs()[0], blob.hash), (err: Error) => NAMED_FETCH_ERRORS.has(err.name))
  }), { numRuns: 25 })
  const result = await client.blobs.fetch(honest.node.getMultiaddrs()[0], blob.hash)
  assert.equal(result.size, MiB)
})
