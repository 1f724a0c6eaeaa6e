import { lpStream } from '@libp2p/utils'
import { BLOB_PROTOCOL } from '../../src/blobs/index.js'
import { BlobRequest, decodeBlobResponse } from '../../src/blobs/blob-messages.js'
import type { BlobResponse } from '../../protocols/blob.js'
import type { BlobPeerUnderTest } from './fixtures.js'
import type { PeerId } from '@libp2p/interface'

/**
 * Sends arbitrary bytes on a blob stream, the way a hostile or broken peer would, and returns the
 * server's response header, or the error the stream ended with.
 */
export async function sendRawBytes (from: BlobPeerUnderTest, to: PeerId, bytes: Uint8Array, framed = false): Promise<BlobResponse | Error> {
  const signal = AbortSignal.timeout(5_000)
  const stream = await from.node.dialProtocol(to, BLOB_PROTOCOL, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: 4096 })
    if (framed) await lp.write(bytes, { signal })
    else if (bytes.byteLength > 0 && !stream.send(bytes)) await stream.onDrain({ signal })
    await stream.close({ signal })
    return decodeBlobResponse(await lp.read({ signal }))
  } catch (err) {
    stream.abort(err as Error)
    return err as Error
  }
}

/** A well-framed request with any field values at all. */
export async function sendRequest (from: BlobPeerUnderTest, to: PeerId, request: BlobRequest): Promise<BlobResponse | Error> {
  return sendRawBytes(from, to, BlobRequest.encode(request), true)
}
