import { logger } from '@libp2p/logger'
import { TransferIo } from './transfer-io.js'
import type { FileHandle } from 'node:fs/promises'

const log = logger('meshnode:blobs')

/** Bytes read from a blob's file at a time, each chunk handed to the stream as it is. */
export const READ_CHUNK_BYTES = 1024 * 1024

export interface BlobReader {
  /** The whole blob, whatever the offset. */
  size: number
  /** The content from the offset to the end, read from a file that is already open. */
  chunks: AsyncIterable<Uint8Array>
  /** Releases the file when `chunks` will not be read to the end. */
  close: () => void
}

/**
 * A blob's content from an offset, in chunks of their own (the stream keeps a chunk until it is sent). The
 * file is closed at the end, on an error, or by close().
 */
export class BlobFileReader implements BlobReader {
  readonly size: number
  readonly chunks: AsyncIterable<Uint8Array>
  private readonly handle: FileHandle
  private closing: Promise<void> | undefined

  constructor (handle: FileHandle, size: number, offset: number) {
    this.handle = handle
    this.size = size
    this.chunks = this.read(new TransferIo(handle), offset)
  }

  close (): void {
    this.closeFile().catch(err => { log('closing a blob after reading - %e', err) })
  }

  private async * read (io: TransferIo, offset: number): AsyncGenerator<Uint8Array> {
    try {
      for (let at = offset; at < this.size;) {
        const chunk = await io.read(Math.min(READ_CHUNK_BYTES, this.size - at), at)
        if (chunk.byteLength === 0) return
        at += chunk.byteLength
        yield chunk
      }
    } finally {
      await this.closeFile()
    }
  }

  private async closeFile (): Promise<void> {
    this.closing ??= this.handle.close()
    await this.closing
  }
}
