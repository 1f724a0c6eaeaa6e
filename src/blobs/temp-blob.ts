import { createHash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import { checkFinalContent, checkRunningSize } from './content-limits.js'
import { diskError, writeAll } from './disk.js'
import type { BlobLayout } from './blob-layout.js'
import type { ContentLimits } from './content-limits.js'

export interface TempBlob {
  path: string
  hash: string
  size: number
}

/**
 * Streams content into a private temp file, hashing on the way, and syncs it. On any failure the temp
 * file is gone before the error reaches the caller, so nothing half-written is ever left to publish.
 */
export async function writeTempBlob (layout: BlobLayout, source: AsyncIterable<Uint8Array>, limits: ContentLimits): Promise<TempBlob> {
  const path = layout.tempPath()
  const hasher = createHash('sha256')
  let size = 0
  try {
    const handle = await open(path, 'wx', 0o600)
    try {
      for await (const chunk of source) {
        size += chunk.byteLength
        checkRunningSize(size, limits)
        hasher.update(chunk)
        await writeAll(handle, [chunk])
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    const hash = hasher.digest('hex')
    checkFinalContent(hash, size, limits)
    return { path, hash, size }
  } catch (err) {
    await rm(path, { force: true })
    throw diskError(err)
  }
}
