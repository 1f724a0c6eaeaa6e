import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BLOB_FAULT_ENV, blobService, parseBlobFault } from '../../src/blobs/index.js'
import { MiB, startPair, storeRandomBlob } from './fixtures.js'

test('the test-only fault spec parses cut and corrupt and names the variable when malformed', () => {
  assert.equal(parseBlobFault(undefined), undefined)
  assert.equal(parseBlobFault(''), undefined)
  assert.deepEqual(parseBlobFault('cut:1048576'), { kind: 'cut', afterBytes: 1048576 })
  assert.deepEqual(parseBlobFault('corrupt:12'), { kind: 'corrupt', atOffset: 12 })
  for (const bad of ['cut', 'cut:-1', 'corrupt:x', 'drop:5', 'cut:1e3']) {
    assert.throws(() => parseBlobFault(bad), (err: Error & { field?: string }) => err.name === 'ConfigError' && err.field === BLOB_FAULT_ENV, bad)
  }
})

test(`a service built while ${BLOB_FAULT_ENV} is set applies the fault once per hash`, async (t) => {
  const { client, server } = await startPair(t)
  const blob = await storeRandomBlob(t, server, 2 * MiB)
  process.env[BLOB_FAULT_ENV] = `cut:${MiB}`
  t.after(() => { delete process.env[BLOB_FAULT_ENV] })
  const faulty = blobService({ store: server.store, timeoutMs: 10_000 })(server.node)
  delete process.env[BLOB_FAULT_ENV]
  await server.blobs.stop()
  await faulty.start()
  t.after(async () => { await faulty.stop() })

  const result = await client.blobs.fetch(server.node.peerId, blob.hash)
  assert.equal(result.resumedAt.length, 1)
  assert.ok(result.resumedAt[0] > 0 && result.resumedAt[0] <= MiB)
})
