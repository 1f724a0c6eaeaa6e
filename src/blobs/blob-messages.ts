import { BlobRequest, BlobResponse } from '../../protocols/blob.js'
import { BlobProtocolError } from './errors.js'
import type { Uint8ArrayList } from 'uint8arraylist'

export { BlobRequest, BlobResponse }

function decodeOrThrow<T> (what: string, decode: () => T): T {
  try {
    return decode()
  } catch (err) {
    throw new BlobProtocolError(`malformed ${what}: ${(err as Error).message}`)
  }
}

function checkLength (what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BlobProtocolError(`${what} ${value} is not a byte count`)
}

/** Decodes a request from the network; a bad hash is left for the server to answer BAD_REQUEST. */
export function decodeBlobRequest (bytes: Uint8Array | Uint8ArrayList): BlobRequest {
  const request = decodeOrThrow('blob request', () => BlobRequest.decode(bytes))
  checkLength('offset', request.offset)
  checkLength('max size', request.maxSize)
  return request
}

export function decodeBlobResponse (bytes: Uint8Array | Uint8ArrayList): BlobResponse {
  const response = decodeOrThrow('blob response', () => BlobResponse.decode(bytes))
  // The enum decoder already rejects numbers it does not know; zero (or no status at all) is never sent.
  if (response.status === BlobResponse.Status.UNKNOWN) {
    throw new BlobProtocolError(`blob response without a known status (${String(response.status)})`)
  }
  checkLength('size', response.size)
  return response
}
