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
  let rest = pieces.filter(piece => piece.byteLength > 0)
  let at = position
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest, at)
    if (at != null) at += bytesWritten
    while (rest.length > 0 && bytesWritten >= rest[0].byteLength) {
      bytesWritten -= rest[0].byteLength
      rest = rest.slice(1)
    }
    if (bytesWritten > 0) rest = [rest[0].subarray(bytesWritten), ...rest.slice(1)]
  }
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
 */
export async function publishFile (from: string, to: string): Promise<void> {
  await chmod(from, 0o444)
  await mkdir(dirname(to), { recursive: true })
  await rename(from, to)
  await syncDir(dirname(to))
}

/** Content never changes, so the modification time records the last use and drives gc. */
export async function markUsed (path: string): Promise<void> {
  const now = new Date()
  await utimes(path, now, now)
}
