import { createHash } from 'node:crypto'
import { constants, createReadStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { FLUSH_BEHIND_BYTES, WRITES_IN_FLIGHT } from './constants.js'
import { checkFinalContent, checkRunningSize } from './content-limits.js'
import { diskError, publishFile, writeAll } from './disk.js'
import { TransferIo } from './transfer-io.js'
import type { BlobLayout } from './blob-layout.js'
import type { ContentLimits } from './content-limits.js'
import type { Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'

/**
 * A download in progress, kept under partial/ so a broken transfer (or a restarted node) can resume at
 * `size`. It becomes a blob only through complete(), which checks the sha256 of the whole content.
 *
 * Each batch is written at its own offset and hashed in order as it arrives. The writes run on the event
 * loop while the page cache takes them quickly (TransferIo); once the disk is slower, several go through
 * the thread pool at once, since one at a time left a 256 MiB download 10-25 MiB behind the network.
 */
export class PartialBlob {
  readonly hash: string
  private readonly layout: BlobLayout
  private readonly handle: FileHandle
  private readonly io: TransferIo
  private readonly release: () => void
  private hasher: Hash
  private bytes: number
  private closed = false
  private readonly writing = new Set<Promise<void>>()
  /** Bytes written since the last flush was started. */
  private unflushed = 0
  private flushing: Promise<void> | undefined
  /** The first write or flush that failed; the next append, restart or complete throws it. */
  private diskFailure: unknown

  private constructor (layout: BlobLayout, hash: string, handle: FileHandle, hasher: Hash, size: number, release: () => void) {
    this.layout = layout
    this.hash = hash
    this.handle = handle
    this.io = new TransferIo(handle)
    this.hasher = hasher
    this.bytes = size
    this.release = release
  }

  /** Opens (or starts) the partial for `hash`; the bytes already there are hashed again, never trusted. */
  static async open (layout: BlobLayout, hash: string, release: () => void): Promise<PartialBlob> {
    const path = layout.partialPath(hash)
    try {
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT, 0o600)
      const { size } = await handle.stat()
      const hasher = createHash('sha256')
      if (size > 0) {
        for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) hasher.update(chunk as Buffer)
      }
      return new PartialBlob(layout, hash, handle, hasher, size, release)
    } catch (err) {
      release()
      throw diskError(err)
    }
  }

  /** Bytes received so far: the offset to resume from once close() has kept them. */
  get size (): number {
    return this.bytes
  }

  /**
   * Hands the pieces to the disk after what was received before and hashes them. Resolves once fewer than
   * WRITES_IN_FLIGHT writes are pending; a write that failed fails a later call, and the partial is gone.
   */
  async append (pieces: readonly Uint8Array[], limits: ContentLimits): Promise<void> {
    const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
    checkRunningSize(this.bytes + length, limits)
    await this.throwIfDiskFailed()
    try {
      if (!this.io.writeOnLoop(pieces, this.bytes)) this.track(writeAll(this.handle, pieces, this.bytes))
    } catch (err) {
      this.diskFailure ??= err
      await this.throwIfDiskFailed()
    }
    for (const piece of pieces) this.hasher.update(piece)
    this.bytes += length
    this.unflushed += length
    if (this.unflushed >= FLUSH_BEHIND_BYTES && this.flushing == null) this.flushBehind()
    while (this.writing.size >= WRITES_IN_FLIGHT) await Promise.race(this.writing)
  }

  private track (write: Promise<void>): void {
    const tracked: Promise<void> = write
      .catch((err: unknown) => { this.diskFailure ??= err })
      .finally(() => { this.writing.delete(tracked) })
    this.writing.add(tracked)
  }

  /**
   * Starts writing what was received to the disk while the rest arrives, so the sync that must come
   * before publishing finds little left to do.
   */
  private flushBehind (): void {
    this.unflushed = 0
    this.flushing = this.handle.datasync().then(
      () => { this.flushing = undefined },
      (err: unknown) => {
        this.flushing = undefined
        this.diskFailure ??= err
      })
  }

  /** Waits for every write and flush under way; their failures are kept in diskFailure. */
  private async settle (): Promise<void> {
    await Promise.all(this.writing)
    await this.flushing
  }

  private async throwIfDiskFailed (): Promise<void> {
    if (this.diskFailure == null) return
    const failure = this.diskFailure
    await this.discard()
    throw diskError(failure)
  }

  /** Throws away what was received and starts again from zero, e.g. after a hash mismatch. */
  async restart (): Promise<void> {
    await this.settle()
    await this.throwIfDiskFailed()
    await this.handle.truncate(0)
    this.hasher = createHash('sha256')
    this.bytes = 0
    this.unflushed = 0
  }

  /**
   * Verifies the whole content against its hash and publishes it as a blob. On a mismatch the partial
   * stays open, so the caller can restart() it.
   */
  async complete (limits: ContentLimits): Promise<void> {
    await this.settle()
    await this.throwIfDiskFailed()
    checkFinalContent(this.hasher.copy().digest('hex'), this.bytes, { ...limits, expectedHash: this.hash })
    try {
      try {
        await this.handle.sync()
      } finally {
        await this.finish()
      }
      await publishFile(this.layout.partialPath(this.hash), this.layout.blobPath(this.hash))
    } catch (err) {
      await rm(this.layout.partialPath(this.hash), { force: true })
      throw diskError(err)
    }
  }

  /** Keeps what was received on disk for a later resume; after a failed write there is nothing to keep. */
  async close (): Promise<void> {
    if (this.closed) return
    await this.settle()
    if (this.diskFailure != null) {
      await this.discard()
      return
    }
    try {
      await this.handle.sync()
    } finally {
      await this.finish()
    }
  }

  async discard (): Promise<void> {
    await this.finish()
    await rm(this.layout.partialPath(this.hash), { force: true })
  }

  private async finish (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.release()
    await this.settle()
    await this.handle.close()
  }
}
