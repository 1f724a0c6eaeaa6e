import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { assertBlobHash } from './blob-hash.js'

/**
 * Where things live under a store's directory:
 *   ab/cdef…    finished blobs, fanned out by the first byte so no folder grows huge
 *   partial/    downloads in progress, kept for resume, never served
 *   tmp/        writes in progress; anything left here after a crash is garbage
 * Every path built from a hash passes the hash check first.
 */
export class BlobLayout {
  readonly root: string
  readonly partialDir: string
  readonly tempDir: string

  constructor (root: string) {
    this.root = root
    this.partialDir = join(root, 'partial')
    this.tempDir = join(root, 'tmp')
  }

  blobDir (hash: string): string {
    return join(this.root, assertBlobHash(hash).slice(0, 2))
  }

  blobPath (hash: string): string {
    return join(this.blobDir(hash), hash.slice(2))
  }

  partialPath (hash: string): string {
    return join(this.partialDir, assertBlobHash(hash))
  }

  tempPath (): string {
    return join(this.tempDir, `${process.pid}-${randomBytes(8).toString('hex')}`)
  }

  /** The inverse of blobPath for a fan-out folder and file name found on disk; undefined for strangers. */
  hashOf (fanOut: string, name: string): string | undefined {
    const hash = fanOut + name
    return /^[0-9a-f]{2}$/.test(fanOut) && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined
  }
}
