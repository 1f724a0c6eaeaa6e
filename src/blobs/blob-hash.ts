import { InvalidBlobHashError } from './errors.js'

const BLOB_HASH = /^[0-9a-f]{64}$/

export function isBlobHash (value: unknown): value is string {
  return typeof value === 'string' && BLOB_HASH.test(value)
}

/** The only gate between a hash (often from the network) and a file name. */
export function assertBlobHash (value: unknown): string {
  if (!isBlobHash(value)) throw new InvalidBlobHashError()
  return value
}
