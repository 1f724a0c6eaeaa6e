import { BlobHashMismatchError, BlobSizeMismatchError, BlobTooLargeError } from './errors.js'

/** What a caller knows about content before it arrives; every check runs as early as it can. */
export interface ContentLimits {
  maxBytes: number
  expectedHash?: string
  expectedSize?: number
}

/** Before anything is opened: a size known up front is refused before a byte is written. */
export function checkAnnouncedSize (size: number, limits: ContentLimits): void {
  if (size > limits.maxBytes) throw new BlobTooLargeError(`blob of ${size} bytes is over the limit of ${limits.maxBytes}`)
  if (limits.expectedSize != null && size !== limits.expectedSize) {
    throw new BlobSizeMismatchError(`blob has ${size} bytes, expected ${limits.expectedSize}`)
  }
}

/** While bytes arrive: stop as soon as there are more than may ever be kept. */
export function checkRunningSize (size: number, limits: ContentLimits): void {
  if (size > limits.maxBytes) throw new BlobTooLargeError(`blob grew past the limit of ${limits.maxBytes} bytes`)
  if (limits.expectedSize != null && size > limits.expectedSize) {
    throw new BlobSizeMismatchError(`blob grew past its expected ${limits.expectedSize} bytes`)
  }
}

/** Once everything is in. */
export function checkFinalContent (hash: string, size: number, limits: ContentLimits): void {
  if (limits.expectedSize != null && size !== limits.expectedSize) {
    throw new BlobSizeMismatchError(`blob has ${size} bytes, expected ${limits.expectedSize}`)
  }
  if (limits.expectedHash != null && hash !== limits.expectedHash) {
    throw new BlobHashMismatchError(`content hashes to ${hash}, expected ${limits.expectedHash}`)
  }
}
