import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { FLUSH_BEHIND_BYTES } from './constants.js'
import { checkFinalContent, checkRunningSize } from './content-limits.js'
import { diskError, publishFile, writeAll } from './disk.js'
import type { BlobLayout } from './blob-layout.js'
import type { ContentLimits } from './content-limits.js'
import type { Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'

/**
 * A download in progress, kept under partial/ so a broken transfer (or a restarted node) can resume at
 * `size`. It becomes a blob only through complete(), which checks the sha256 of the whole content.
 */
export class PartialBlob {
  readonly hash: string
  private readonly layout: BlobLayout
  private readonly handle: FileHandle
  private readonly release: () => void
  private hasher: Hash
  private bytes: number
  private closed = false
  /** Bytes written since the last flush was started. */
  private unflushed = 0
  private flushing: Promise<void> | undefined
  private flushError: unknown

  private constructor (layout: BlobLayout, hash: string, handle: FileHandle, hasher: Hash, size: number, release: () => void) {
    this.layout = layout
    this.hash = hash
    this.handle = handle
    this.hasher = hasher
    this.bytes = size
    this.release = release
  }

  /** Opens (or starts) the partial for `hash`; the bytes already there are hashed again, never trusted. */
  static async open (layout: BlobLayout, hash: string, release: () => void): Promise<PartialBlob> {
    const path = layout.partialPath(hash)
    try {
      const handle = await open(path, 'a', 0o600)
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

  /** Bytes held so far: the offset to resume from. */
  get size (): number {
    return this.bytes
  }

  /** Appends the pieces, in order, as one write. */
  async append (pieces: readonly Uint8Array[], limits: ContentLimits): Promise<void> {
    const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
    checkRunningSize(this.bytes + length, limits)
    try {
      if (this.flushError != null) throw this.flushError
      await writeAll(this.handle, pieces)
    } catch (err) {
      await this.discard()
      throw diskError(err)
    }
    for (const piece of pieces) this.hasher.update(piece)
    this.bytes += length
    this.unflushed += length
    if (this.unflushed >= FLUSH_BEHIND_BYTES && this.flushing == null) this.flushBehind()
  }

  /**
   * Starts writing what was received to the disk while the rest arrives, so the sync that must come
   * before publishing finds little left to do. A failure is kept and thrown by the next append or
   * complete.
   */
  private flushBehind (): void {
    this.unflushed = 0
    this.flushing = this.handle.datasync().then(
      () => { this.flushing = undefined },
      (err: unknown) => {
        this.flushing = undefined
        this.flushError ??= err
      })
  }

  /** Throws away what was received and starts again from zero, e.g. after a hash mismatch. */
  async restart (): Promise<void> {
    await this.handle.truncate(0)
    this.hasher = createHash('sha256')
    this.bytes = 0
  }

  /**
   * Verifies the whole content against its hash and publishes it as a blob. On a mismatch the partial
   * stays open, so the caller can restart() it.
   */
  async complete (limits: ContentLimits): Promise<void> {
    checkFinalContent(this.hasher.copy().digest('hex'), this.bytes, { ...limits, expectedHash: this.hash })
    try {
      try {
        await this.flushing
        if (this.flushError != null) throw this.flushError
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

  /** Keeps what was received on disk for a later resume. */
  async close (): Promise<void> {
    if (this.closed) return
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
    await this.flushing
    await this.handle.close()
  }
}
