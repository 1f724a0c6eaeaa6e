import { readSync } from 'node:fs'
import { writeAllSync } from './disk.js'
import type { FileHandle } from 'node:fs/promises'

/**
 * A call (of up to 1 MiB) slower than this waited for the disk, not for the page cache. Here a page-cache
 * write of 1 MiB takes 0.5 ms or, in some runs, 5 ms throughout, with a few of 10-40 ms either way.
 */
export const SLOW_IO_MS = 20
/** How long slow calls may keep the event loop waiting, in all, before a transfer moves to the thread pool. */
export const LOOP_WAIT_BUDGET_MS = 200

export interface TransferIoLimits {
  slowMs: number
  budgetMs: number
}

/**
 * The file reads and writes of one blob transfer. They run on the event loop while calls are quick, as
 * calls into the page cache are: through libuv's thread pool the same bytes cost each peer about twice the
 * CPU (bench/BLOBS.md), and the buffers live until a thread gets round to them. A page-cache call is slow
 * now and then (the process lost its core for a moment), so one slow call proves nothing; once slow calls
 * have kept the loop waiting LOOP_WAIT_BUDGET_MS in all, the disk itself is the bound (a cold read, or
 * writes held back by the kernel's dirty-page limit), and the rest of the transfer goes through the
 * thread pool, so the loop does not wait on the disk again.
 */
export class TransferIo {
  private readonly handle: FileHandle
  private readonly limits: TransferIoLimits
  private onLoop = true
  private waitedMs = 0

  constructor (handle: FileHandle, limits: TransferIoLimits = { slowMs: SLOW_IO_MS, budgetMs: LOOP_WAIT_BUDGET_MS }) {
    this.handle = handle
    this.limits = limits
  }

  /**
   * Writes the pieces in order from `position` on the event loop and returns true, or returns false at once
   * once the transfer has moved to the thread pool: then the caller writes them with writeAll(). No promise
   * is made for a write on the loop; a download makes thousands.
   */
  writeOnLoop (pieces: readonly Uint8Array[], position: number): boolean {
    if (!this.onLoop) return false
    const started = performance.now()
    writeAllSync(this.handle.fd, pieces, position)
    this.noteDuration(started)
    return true
  }

  /** Up to `length` bytes from `position`, in a buffer of their own; empty at the end of the file. */
  async read (length: number, position: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafeSlow(length)
    let bytesRead: number
    if (this.onLoop) {
      const started = performance.now()
      bytesRead = readSync(this.handle.fd, buffer, 0, length, position)
      this.noteDuration(started)
    } else {
      bytesRead = (await this.handle.read(buffer, 0, length, position)).bytesRead
    }
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead)
  }

  private noteDuration (started: number): void {
    const ms = performance.now() - started
    if (ms <= this.limits.slowMs) return
    this.waitedMs += ms
    if (this.waitedMs > this.limits.budgetMs) this.onLoop = false
  }
}
