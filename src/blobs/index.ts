import { BlobService } from './blob-service.js'
import type { BlobServiceComponents, BlobServiceInit } from './blob-service.js'

export { BlobStore, DEFAULT_MAX_BLOB_BYTES } from './blob-store.js'
export type { BlobStoreInit, BlobStat, StoredBlob, BlobWriteOptions, GcResult } from './blob-store.js'
export type { BlobReader } from './blob-reader.js'
export type { GcOptions } from './gc-policy.js'
export type { PartialBlob } from './partial-blob.js'
export { BlobService } from './blob-service.js'
export type { BlobServiceComponents, BlobServiceInit } from './blob-service.js'
export type { BlobFetchOptions, BlobFetchProgress, BlobFetchResult, BlobPeer } from './blob-fetcher.js'
export { BLOB_PROTOCOL } from './constants.js'
export { BLOB_FAULT_ENV, parseBlobFault } from './blob-fault.js'
export type { BlobFault } from './blob-fault.js'
export { isBlobHash, assertBlobHash } from './blob-hash.js'
export * from './errors.js'

/** The js-libp2p service factory shape: `blobService({ store })(node)`. */
export function blobService (init: BlobServiceInit): (components: BlobServiceComponents) => BlobService {
  return (components) => new BlobService(components, init)
}
