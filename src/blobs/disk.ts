import { writeSync } from 'node:fs'
import { chmod, mkdir, open, rename, utimes } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BlobStoreFullError } from './errors.js'
import type { FileHandle } from 'node:fs/promises'

export function isDiskFull (err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** Turns a disk-full failure into the store's named error; anything else passes through. */
export function diskError (err: unknown): unknown {
  return isDiskFull(err) ? new BlobStoreFullError(`no space left for the blob store: ${(err as Error).message}`) : err
}

export function isMissing (err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * Writes the pieces in order, from `position` or else from the file's current offset, with as few system
 * calls as the kernel allows (it may take part of a writev).
 */
export async function writeAll (handle: FileHandle, pieces: readonly Uint8Array[], position?: number): Promise<void> {
  let rest = unwritten(pieces, 0)
  let at = position
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at)
    if (at != null) at += bytesWritten
    rest = unwritten(rest, bytesWritten)
  }
}

/**
 * writeAll on the calling thread, for writes into the page cache, which are quicker than a hand-off. One
 * write per piece: in a 256 MiB download here, one writev of the same pieces cost the receiving peer about
 * 1 s more CPU (bench/BLOBS.md; not reproduced in a loop of writes alone).
 */
export function writeAllSync (fd: number, pieces: readonly Uint8Array[], position: number): void {
  let at = position
  for (const piece of pieces) {
    for (let done = 0; done < piece.byteLength;) {
      const written = writeSync(fd, piece, done, piece.byteLength - done, at)
      done += written
      at += written
    }
  }
}

/** What is left of the pieces once the kernel has taken `written` bytes of them; never an empty piece. */
function unwritten (pieces: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = []
  let skip = written
  for (const piece of pieces) {
    if (skip >= piece.byteLength) {
      skip -= piece.byteLength
      continue
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece)
    skip = 0
  }
  return rest
}

/** A rename is only durable once the folder that holds the new name has been synced too. */
async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Moves a fully written and synced file to its final name in one atomic step, so a reader sees the whole
 * blob or none of it. Blobs are read-only: a hard-linked copy in a job folder must not be edited in place.
 * The target's folder is made only when the rename finds it missing: it almost always exists, and asking
 * first is one more trip to the thread pool on every stage's way.
 */
export async function publishFile (from: string, to: string): Promise<void> {
  await chmod(from, 0o444)
  try {
    await rename(from, to)
  } catch (err) {
    if (!isMissing(err)) throw err
    await mkdir(dirname(to), { recursive: true })
    await rename(from, to)
  }
  await syncDir(dirname(to))
}

/** Content never changes, so the modification time records the last use and drives gc. */
export async function markUsed (path: string): Promise<void> {
  const now = new Date()
  await utimes(path, now, now)
}
