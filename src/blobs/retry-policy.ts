import { InvalidBlobHashError, BlobNotFoundError, BlobRequestRefusedError, BlobSizeMismatchError, BlobStoreFullError, BlobTooLargeError, BlobBusyError } from './errors.js'
import { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './constants.js'

const FINAL = [InvalidBlobHashError, BlobNotFoundError, BlobSizeMismatchError, BlobStoreFullError, BlobTooLargeError, BlobBusyError]

/**
 * Whether another attempt can help: a broken stream, a timeout, a busy or failing peer can; an answer
 * about the blob itself (missing, too large, wrong size) or a full disk cannot.
 */
export function isRetryable (err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return false
  if (FINAL.some(type => err instanceof type)) return false
  if (err instanceof BlobRequestRefusedError) return err.status !== 'BAD_REQUEST'
  return true
}

/** Exponential backoff from the number of failures in a row. */
export function retryDelayMs (failuresInARow: number): number {
  return Math.min(RETRY_BASE_DELAY_MS * 2 ** Math.max(0, failuresInARow - 1), RETRY_MAX_DELAY_MS)
}
