import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { assertBlobHash } from './blob-hash.js'
import { BlobRequest, BlobResponse, decodeBlobResponse } from './blob-messages.js'
import { BLOB_PROTOCOL, MAX_RESPONSE_BYTES } from './constants.js'
import { checkAnnouncedSize } from './content-limits.js'
import { BlobFetchFailedError, BlobHashMismatchError, BlobNotFoundError, BlobRequestRefusedError, BlobTooLargeError } from './errors.js'
import { isRetryable, retryDelayMs } from './retry-policy.js'
import { readStreamBody } from './stream-body.js'
import type { BlobStore } from './blob-store.js'
import type { ContentLimits } from './content-limits.js'
import type { PartialBlob } from './partial-blob.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('meshnode:blobs:fetch')

export type BlobPeer = Parameters<Libp2p['dialProtocol']>[0]

export interface BlobFetchProgress {
  hash: string
  received: number
  size: number
}

export interface BlobFetchOptions {
  /** Known from the stage announcement; a different size is refused before a byte is written. */
  expectedSize?: number
  /** Cancels the whole fetch, retries included; without it only the per-step timeouts apply. */
  signal?: AbortSignal
  onProgress?: (progress: BlobFetchProgress) => void
}

export interface BlobFetchResult {
  hash: string
  size: number
  /** False when the blob was already in the store and nothing went over the network. */
  transferred: boolean
  /** The offsets at which broken (or earlier, interrupted) transfers were resumed, in order. */
  resumedAt: number[]
  /** How often the content failed its sha256 and was fetched again from zero. */
  restarts: number
}

export interface BlobFetcherInit {
  store: BlobStore
  dialProtocol: Libp2p['dialProtocol']
  maxBlobBytes: number
  timeoutMs: number
  maxRetries: number
  maxRestarts: number
}

/** A transfer that must be repeated from zero: the content failed its hash or the partial is unusable. */
class RestartFromZero extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RestartFromZero'
  }
}

/** The requesting side: pulls a blob from a peer into the store, disk to disk, resuming after breaks. */
export class BlobFetcher {
  private readonly init: BlobFetcherInit
  private readonly inFlight = new Map<string, Promise<BlobFetchResult>>()

  constructor (init: BlobFetcherInit) {
    this.init = init
  }

  /**
   * Concurrent calls for one hash share a single download, run under the first caller's signal; a later
   * caller's signal only stops its own wait.
   */
  async fetch (peer: BlobPeer, hash: string, options: BlobFetchOptions = {}): Promise<BlobFetchResult> {
    assertBlobHash(hash)
    const limits: ContentLimits = { maxBytes: this.init.maxBlobBytes, expectedHash: hash, expectedSize: options.expectedSize }
    if (options.expectedSize != null) checkAnnouncedSize(options.expectedSize, limits)
    const local = await this.init.store.stat(hash)
    if (local != null) return { hash, size: local.size, transferred: false, resumedAt: [], restarts: 0 }
    let shared = this.inFlight.get(hash)
    if (shared == null) {
      shared = this.download(peer, hash, limits, options).finally(() => this.inFlight.delete(hash))
      this.inFlight.set(hash, shared)
      return await shared
    }
    options.signal?.throwIfAborted()
    if (options.signal == null) return await shared
    const aborted = new Promise<never>((_resolve, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
    })
    return await Promise.race([shared, aborted])
  }

  private async download (peer: BlobPeer, hash: string, limits: ContentLimits, options: BlobFetchOptions): Promise<BlobFetchResult> {
    const signal = options.signal ?? new AbortController().signal
    const partial = await this.init.store.openPartial(hash)
    const result: BlobFetchResult = { hash, size: 0, transferred: true, resumedAt: [], restarts: 0 }
    let failuresInARow = 0
    try {
      for (;;) {
        const startedAt = partial.size
        if (startedAt > 0) result.resumedAt.push(startedAt)
        try {
          result.size = await this.pull(peer, partial, limits, signal, options)
          await partial.complete(limits)
          log('fetched %s (%d bytes)', hash, result.size)
          return result
        } catch (err) {
          if (err instanceof BlobHashMismatchError || err instanceof RestartFromZero) {
            if (result.restarts >= this.init.maxRestarts) throw err
            log('%s: %s, fetching again from zero', hash, (err as Error).message)
            result.restarts++
            await partial.restart()
            continue
          }
          if (!isRetryable(err, signal)) throw err
          failuresInARow = partial.size > startedAt ? 1 : failuresInARow + 1
          if (failuresInARow > this.init.maxRetries) {
            throw new BlobFetchFailedError(`fetching ${hash} failed ${failuresInARow} times in a row`, { cause: err })
          }
          log('%s: attempt failed at %d bytes, retrying - %e', hash, partial.size, err)
          await sleep(retryDelayMs(failuresInARow), undefined, { signal })
        }
      }
    } catch (err) {
      await this.settlePartial(partial, err, signal)
      throw err
    }
  }

  /** Keeps received bytes for a later resume unless they are known to be wrong. */
  private async settlePartial (partial: PartialBlob, err: unknown, signal: AbortSignal): Promise<void> {
    const worthKeeping = err instanceof BlobFetchFailedError || err instanceof BlobNotFoundError || signal.aborted
    if (worthKeeping && partial.size > 0) await partial.close()
    else await partial.discard()
  }

  /** One request on one stream: returns the blob's size once the stream has delivered every byte. */
  private async pull (peer: BlobPeer, partial: PartialBlob, limits: ContentLimits, signal: AbortSignal, options: BlobFetchOptions): Promise<number> {
    const offset = partial.size
    const headerSignal = AbortSignal.any([signal, AbortSignal.timeout(this.init.timeoutMs)])
    const stream = await this.init.dialProtocol(peer, BLOB_PROTOCOL, { signal: headerSignal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
      await lp.write(BlobRequest.encode({ hash: partial.hash, offset, maxSize: this.init.maxBlobBytes }), { signal: headerSignal })
      const response = decodeBlobResponse(await lp.read({ signal: headerSignal }))
      this.checkResponse(response, offset)
      checkAnnouncedSize(response.size, limits)
      const body = readStreamBody(lp.unwrap(), { idleTimeoutMs: this.init.timeoutMs, signal })
      for await (const pieces of body) {
        await partial.append(pieces, limits)
        options.onProgress?.({ hash: partial.hash, received: partial.size, size: response.size })
      }
      if (partial.size !== response.size) throw new Error(`stream ended at ${partial.size} of ${response.size} bytes`)
      await stream.close({ signal: headerSignal })
      return response.size
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private checkResponse (response: BlobResponse, offset: number): void {
    const { status, message } = response
    if (status === BlobResponse.Status.OK) return
    if (status === BlobResponse.Status.NOT_FOUND) throw new BlobNotFoundError(`peer has no such blob: ${message}`)
    if (status === BlobResponse.Status.TOO_LARGE) throw new BlobTooLargeError(`peer refused: ${message}`)
    // The only bad request a correct client makes is resuming from a partial longer than the blob.
    if (status === BlobResponse.Status.BAD_REQUEST && offset > 0) throw new RestartFromZero(message)
    throw new BlobRequestRefusedError(status, message)
  }
}
