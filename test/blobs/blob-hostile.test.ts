import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BlobResponse } from '../../src/blobs/blob-messages.js'
import { MiB, startPair, storeRandomBlob } from './fixtures.js'
import { sendRawBytes, sendRequest } from './raw-exchange.js'

const HOSTILE_HASHES = ['../../etc/passwd', '/etc/passwd', 'a'.repeat(65), 'a'.repeat(63) + '\0', 'A'.repeat(64), '', 'ab/../../' + 'c'.repeat(55)]

function assertStatus (answer: BlobResponse | Error, status: BlobResponse.Status, what: string): BlobResponse {
  assert.ok(!(answer instanceof Error), `${what}: ${String(answer)}`)
  assert.equal(answer.status, status, what)
  assert.equal(answer.size, 0, what)
  return answer
}

test('hostile hashes are refused with BAD_REQUEST and the serving node keeps working', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, MiB)
  for (const hash of HOSTILE_HASHES) {
    const answer = await sendRequest(client, server.node.peerId, { hash, offset: 0, maxSize: 0 })
    assert.match(assertStatus(answer, BlobResponse.Status.BAD_REQUEST, JSON.stringify(hash)).message, /hash/)
  }
  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.size, MiB)
})

test('fetching a hostile hash is refused before any network traffic', async (t) => {
  const { client, server } = await startPair(t)
  await server.node.stop()
  for (const hash of HOSTILE_HASHES) {
    await assert.rejects(client.blobs.fetch(server.node.peerId, hash), { name: 'InvalidBlobHashError' }, JSON.stringify(hash))
  }
})

test('the server answers bad offsets, huge length prefixes, low size limits and overload by status', async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, 1000)
  const ask = async (offset: number, maxSize: number): Promise<BlobResponse | Error> => sendRequest(client, server.node.peerId, { hash: blob.hash, offset, maxSize })

  assertStatus(await ask(1001, 0), BlobResponse.Status.BAD_REQUEST, 'offset past the end')
  assertStatus(await ask(0, 999), BlobResponse.Status.TOO_LARGE, 'over the asked size limit')
  // A varint announcing a 1 TiB message: refused from the prefix alone, nothing buffered.
  const huge = await sendRawBytes(client, server.node.peerId, Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]))
  assertStatus(huge, BlobResponse.Status.BAD_REQUEST, '1 TiB length prefix')
  assert.equal((await client.blobs.fetch(server.node.peerId, blob.hash)).size, 1000)
})

test('the server refuses uploads beyond its limit with BUSY', async (t) => {
  const { client, server } = await startPair(t, { maxUploads: 0 })
  const blob = await storeRandomBlob(t, server, 1000)
  assertStatus(await sendRequest(client, server.node.peerId, { hash: blob.hash, offset: 0, maxSize: 0 }), BlobResponse.Status.BUSY, 'no upload slots')
})
