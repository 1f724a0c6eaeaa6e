import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { BlobRequest, BlobResponse } from '../../src/blobs/blob-messages.js'
import { BLOB_PROTOCOL } from '../../src/blobs/index.js'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import { sha256, startBlobPeer } from './fixtures.js'

test('a body that arrives with its header and the end of the stream, all at once, is read whole', async (t) => {
  const content = randomBytes(1000)
  const hash = sha256(content)
  // A peer that answers in one message and closes at once, as a quick server does when the blob is in the
  // page cache: the fetcher's header reader then holds the body, and the stream has ended, before the body
  // reader starts.
  const hasty = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
  t.after(async () => { await hasty.stop() })
  await hasty.handle(BLOB_PROTOCOL, async (stream) => {
    const request = BlobRequest.decode(await lpStream(stream).read())
    assert.equal(request.hash, hash)
    const header = BlobResponse.encode({ status: BlobResponse.Status.OK, size: content.byteLength })
    assert.ok(header.byteLength < 128, 'a one-byte length prefix')
    stream.send(Buffer.concat([Uint8Array.of(header.byteLength), header, content]))
    await stream.close()
  })
  const client = await startBlobPeer(t)
  for (let attempt = 0; attempt < 5; attempt++) {
    await client.store.gc({ maxTotalBytes: 0 })
    const fetched = await client.blobs.fetch(hasty.getMultiaddrs()[0], hash, { expectedSize: content.byteLength })
    assert.deepEqual(fetched.resumedAt, [], 'the body came in the first try')
  }
})
