import { logger } from '@libp2p/logger'
import { MAX_INLINE_BYTES, MAX_INLINE_FILES, MAX_INLINE_TOTAL_BYTES } from './constants.js'
import type { InlineBlob } from '../../protocols/market.js'
import type { BlobStore } from '../blobs/blob-store.js'

const log = logger('meshnode:market:inline')

/** A file a market message names: its sha256 and size. */
export interface NamedFile {
  hash: string
  size: number
}

/**
 * The small files among `files` that this node holds, to carry inside a market message: a design of a few
 * hundred bytes costs a blob stream (a stream negotiation, a request, a temp file) on both ends otherwise.
 * Larger files, any past the per-message limits, and any it cannot read (collected meanwhile) still go over
 * the blob protocol: this never fails the message it is for.
 */
export async function inlineFiles (store: BlobStore, files: NamedFile[]): Promise<InlineBlob[]> {
  const inline: InlineBlob[] = []
  let total = 0
  for (const file of files) {
    if (inline.length >= MAX_INLINE_FILES || file.size > MAX_INLINE_BYTES || total + file.size > MAX_INLINE_TOTAL_BYTES) continue
    if (inline.some(i => i.hash === file.hash)) continue
    try {
      if (!(await store.has(file.hash))) continue
      const chunks: Uint8Array[] = []
      for await (const chunk of store.read(file.hash)) chunks.push(chunk)
      const content = Buffer.concat(chunks)
      inline.push({ hash: file.hash, content })
      total += content.byteLength
    } catch (err: any) {
      log('not inlining %s: %s', file.hash, err.message)
    }
  }
  return inline
}

/**
 * Keeps the inline files that are among `expected`, each only if its content has the size and sha256 the
 * message named; anything else, or anything the store cannot take, is dropped with a log line and fetched as
 * usual, so this never fails the message it came with. Returns the hashes now held.
 */
export async function keepInlineFiles (store: BlobStore, expected: NamedFile[], inline: InlineBlob[]): Promise<string[]> {
  const kept: string[] = []
  for (const file of inline) {
    const named = expected.find(e => e.hash === file.hash)
    if (named == null || named.size !== file.content.byteLength) {
      log('dropped an inline file %s that the message does not name', file.hash)
      continue
    }
    try {
      if (!(await store.has(file.hash))) await store.write(oneChunk(file.content), { expectedHash: file.hash, expectedSize: named.size })
      kept.push(file.hash)
    } catch (err: any) {
      log('dropped inline file %s: %s', file.hash, err.message)
    }
  }
  return kept
}

async function * oneChunk (content: Uint8Array): AsyncGenerator<Uint8Array> {
  yield content
}
