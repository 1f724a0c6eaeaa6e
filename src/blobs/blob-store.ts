import { createReadStream } from 'node:fs'
import { chmod, copyFile, link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { assertBlobHash } from './blob-hash.js'
import { BlobFileReader, READ_CHUNK_BYTES } from './blob-reader.js'
import { BlobLayout } from './blob-layout.js'
import { checkAnnouncedSize } from './content-limits.js'
import { diskError, isMissing, markUsed, publishFile } from './disk.js'
import { BlobBusyError, BlobNotFoundError } from './errors.js'
import { chooseGcVictims } from './gc-policy.js'
import { PartialBlob } from './partial-blob.js'
import { writeTempBlob } from './temp-blob.js'
import type { BlobReader } from './blob-reader.js'
import type { GcCandidate, GcOptions } from './gc-policy.js'

const log = logger('meshnode:blobs')

export const DEFAULT_MAX_BLOB_BYTES = 4 * 1024 ** 3

export interface BlobStoreInit {
  /** Larger blobs are refused, before a byte is written when the size is known. */
  maxBlobBytes?: number
}

export interface StoredBlob {
  hash: string
  size: number
}

export interface BlobStat {
  size: number
  /** ms since the epoch; reads and copies count as use, has() and stat() do not. */
  lastUsed: number
}

export interface BlobWriteOptions {
  expectedHash?: string
  expectedSize?: number
}

export interface GcResult {
  removed: string[]
  freedBytes: number
  remainingBytes: number
}

/**
 * A content-addressed store of files on disk, named by the sha256 of their content. A blob appears only
 * complete and verified (temp file, fsync, rename); it is never modified after.
 */
export class BlobStore {
  readonly dir: string
  readonly maxBlobBytes: number
  private readonly layout: BlobLayout
  private readonly openPartials = new Set<string>()

  private constructor (dir: string, maxBlobBytes: number) {
    this.dir = dir
    this.maxBlobBytes = maxBlobBytes
    this.layout = new BlobLayout(dir)
  }

  /** Opens the store in `dir`, creating it; temp files left by a crash are removed. */
  static async open (dir: string, init: BlobStoreInit = {}): Promise<BlobStore> {
    const store = new BlobStore(dir, init.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES)
    await rm(store.layout.tempDir, { recursive: true, force: true })
    await mkdir(store.layout.tempDir, { recursive: true })
    await mkdir(store.layout.partialDir, { recursive: true })
    return store
  }

  async has (hash: string): Promise<boolean> {
    return (await this.stat(hash)) != null
  }

  async stat (hash: string): Promise<BlobStat | undefined> {
    try {
      const info = await stat(this.layout.blobPath(hash))
      return { size: info.size, lastUsed: info.mtimeMs }
    } catch (err) {
      if (isMissing(err)) return undefined
      throw err
    }
  }

  /** Copies a file into the store without holding it in memory. */
  async importFile (path: string): Promise<StoredBlob> {
    const { size } = await stat(path)
    return this.write(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), { expectedSize: size })
  }

  async write (source: AsyncIterable<Uint8Array>, options: BlobWriteOptions = {}): Promise<StoredBlob> {
    const limits = {
      maxBytes: this.maxBlobBytes,
      expectedHash: options.expectedHash == null ? undefined : assertBlobHash(options.expectedHash),
      expectedSize: options.expectedSize
    }
    if (options.expectedSize != null) checkAnnouncedSize(options.expectedSize, limits)
    const temp = await writeTempBlob(this.layout, source, limits)
    try {
      await publishFile(temp.path, this.layout.blobPath(temp.hash))
    } catch (err) {
      await rm(temp.path, { force: true })
      throw diskError(err)
    }
    log('stored %s (%d bytes)', temp.hash, temp.size)
    return { hash: temp.hash, size: temp.size }
  }

  async openRead (hash: string, offset = 0): Promise<BlobReader> {
    const path = this.layout.blobPath(hash)
    let handle
    try {
      handle = await open(path, 'r')
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFoundError(`blob ${hash} not found`)
      throw err
    }
    try {
      const { size } = await handle.stat()
      await markUsed(path)
      return new BlobFileReader(handle, size, offset)
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  async * read (hash: string, offset = 0): AsyncIterable<Uint8Array> {
    const { chunks } = await this.openRead(hash, offset)
    yield * chunks
  }

  /**
   * Places a blob at `destPath` (a job folder's input): a hard link when on the same file system, a copy
   * otherwise. The blob is read-only; a tool must write its output elsewhere.
   */
  async copyTo (hash: string, destPath: string): Promise<void> {
    const path = this.layout.blobPath(hash)
    if (!(await this.has(hash))) throw new BlobNotFoundError(`blob ${hash} not found`)
    try {
      await link(path, destPath)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err
      await copyFile(path, destPath).catch((copyErr: unknown) => { throw diskError(copyErr) })
    }
    await markUsed(path)
  }

  /**
   * Writes a copy of a blob to `destPath` for a user (`meshnode get`): never a link, since the user may edit
   * the file; writable by its owner; in place only once whole. One kernel copy, not a read and write stream.
   */
  async exportTo (hash: string, destPath: string): Promise<void> {
    const path = this.layout.blobPath(hash)
    const temp = `${destPath}.meshnode-partial`
    try {
      await copyFile(path, temp)
      await chmod(temp, 0o644)
      await rename(temp, destPath)
    } catch (err) {
      await rm(temp, { force: true })
      if (isMissing(err) && !(await this.has(hash))) throw new BlobNotFoundError(`blob ${hash} not found`)
      throw diskError(err)
    }
    await markUsed(path)
  }

  /** Bytes of `hash` already received by an unfinished download. */
  async partial (hash: string): Promise<number> {
    try {
      return (await stat(this.layout.partialPath(hash))).size
    } catch (err) {
      if (isMissing(err)) return 0
      throw err
    }
  }

  /** Opens the resumable download of `hash`; one at a time per hash. */
  async openPartial (hash: string): Promise<PartialBlob> {
    assertBlobHash(hash)
    if (this.openPartials.has(hash)) throw new BlobBusyError(`blob ${hash} is already being downloaded`)
    this.openPartials.add(hash)
    return PartialBlob.open(this.layout, hash, () => this.openPartials.delete(hash))
  }

  /** Deletes least recently used blobs (and stale partials) by age and total size, sparing `keep`. */
  async gc (options: GcOptions): Promise<GcResult> {
    const blobs = await this.list()
    const victims = chooseGcVictims(blobs, options, Date.now())
    for (const victim of victims) await rm(this.layout.blobPath(victim.hash), { force: true })
    if (options.maxAgeMs != null) await this.dropStalePartials(options.maxAgeMs)
    const freedBytes = victims.reduce((sum, blob) => sum + blob.size, 0)
    const remainingBytes = blobs.reduce((sum, blob) => sum + blob.size, 0) - freedBytes
    if (victims.length > 0) log('gc removed %d blobs, %d bytes', victims.length, freedBytes)
    return { removed: victims.map(victim => victim.hash), freedBytes, remainingBytes }
  }

  private async list (): Promise<GcCandidate[]> {
    const found: GcCandidate[] = []
    for (const fanOut of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(fanOut)) continue
      for (const name of await readdir(`${this.dir}/${fanOut}`)) {
        const hash = this.layout.hashOf(fanOut, name)
        const info = hash == null ? undefined : await this.stat(hash)
        if (hash != null && info != null) found.push({ hash, size: info.size, lastUsed: info.lastUsed })
      }
    }
    return found
  }

  private async dropStalePartials (maxAgeMs: number): Promise<void> {
    for (const name of await readdir(this.layout.partialDir)) {
      if (this.openPartials.has(name)) continue
      const path = `${this.layout.partialDir}/${name}`
      const info = await stat(path).catch(() => undefined)
      if (info != null && Date.now() - info.mtimeMs > maxAgeMs) await rm(path, { force: true })
    }
  }
}
