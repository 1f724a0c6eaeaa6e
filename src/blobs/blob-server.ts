import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { isBlobHash } from './blob-hash.js'
import { BlobRequest, BlobResponse, decodeBlobRequest } from './blob-messages.js'
import { MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES } from './constants.js'
import { BlobNotFoundError } from './errors.js'
import { sendBody, writeQueueEmpty } from './send-body.js'
import type { BlobFaultInjector } from './blob-fault.js'
import type { BlobStore } from './blob-store.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

const log = logger('meshnode:blobs:server')

export interface BlobServerInit {
  store: BlobStore
  timeoutMs: number
  maxUploads: number
  faults: BlobFaultInjector
}

type Refusal = Exclude<BlobResponse.Status, BlobResponse.Status.OK | BlobResponse.Status.UNKNOWN>

/** The serving side of /meshnode/blob/1.0.0: one request per stream, answered from disk. */
export class BlobServer {
  private readonly init: BlobServerInit
  private readonly uploads = new Set<Stream>()

  constructor (init: BlobServerInit) {
    this.init = init
  }

  readonly handle = async (stream: Stream, connection: Connection): Promise<void> => {
    try {
      await this.serve(stream, connection)
    } catch (err) {
      log.error('serving %p failed - %e', connection.remotePeer, err)
      stream.abort(err as Error)
    }
  }

  /** Aborts every upload in progress, e.g. when the node stops. */
  abortAll (reason: Error): void {
    for (const stream of this.uploads) stream.abort(reason)
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    const headerSignal = AbortSignal.timeout(this.init.timeoutMs)
    let request: BlobRequest
    try {
      request = decodeBlobRequest(await lp.read({ signal: headerSignal }))
    } catch (err) {
      log('bad request from %p - %e', connection.remotePeer, err)
      await this.refuse(lp, stream, BlobResponse.Status.BAD_REQUEST, (err as Error).message)
      return
    }
    if (!isBlobHash(request.hash)) {
      await this.refuse(lp, stream, BlobResponse.Status.BAD_REQUEST, 'hash is not 64 lowercase hex characters')
      return
    }
    if (this.uploads.size >= this.init.maxUploads) {
      await this.refuse(lp, stream, BlobResponse.Status.BUSY, `serving ${this.uploads.size} uploads already`)
      return
    }
    this.uploads.add(stream)
    try {
      await this.upload(lp, stream, request, connection)
    } finally {
      this.uploads.delete(stream)
    }
  }

  private async upload (lp: LengthPrefixedStream<Stream>, stream: Stream, request: BlobRequest, connection: Connection): Promise<void> {
    const { hash, offset, maxSize } = request
    const stat = await this.init.store.stat(hash)
    if (stat == null) {
      await this.refuse(lp, stream, BlobResponse.Status.NOT_FOUND, `no blob ${hash}`)
      return
    }
    if (maxSize > 0 && stat.size > maxSize) {
      await this.refuse(lp, stream, BlobResponse.Status.TOO_LARGE, `blob has ${stat.size} bytes, over the asked limit of ${maxSize}`)
      return
    }
    if (offset > stat.size) {
      await this.refuse(lp, stream, BlobResponse.Status.BAD_REQUEST, `offset ${offset} is past the end (${stat.size} bytes)`)
      return
    }
    let reader
    try {
      reader = await this.init.store.openRead(hash, offset)
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err
      await this.refuse(lp, stream, BlobResponse.Status.NOT_FOUND, `no blob ${hash}`)
      return
    }
    log('sending %s from %d to %p', hash, offset, connection.remotePeer)
    try {
      await lp.write(BlobResponse.encode({ status: BlobResponse.Status.OK, size: reader.size }), { signal: AbortSignal.timeout(this.init.timeoutMs) })
      lp.unwrap()
      await sendBody(stream, this.init.faults.apply(hash, offset, reader.chunks), this.init.timeoutMs)
    } catch (err) {
      reader.close()
      // Lets what was already sent reach the peer before the abort throws it away.
      await writeQueueEmpty(stream, this.init.timeoutMs).catch(() => undefined)
      throw err
    }
    await stream.close({ signal: AbortSignal.timeout(this.init.timeoutMs) })
  }

  private async refuse (lp: LengthPrefixedStream<Stream>, stream: Stream, status: Refusal, message: string): Promise<void> {
    const signal = AbortSignal.timeout(this.init.timeoutMs)
    await lp.write(BlobResponse.encode({ status, message: message.slice(0, MAX_MESSAGE_CHARS) }), { signal })
    await stream.close({ signal })
  }
}
