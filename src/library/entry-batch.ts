import { BadEntryError, checkEntry, parseJson } from './entry-codec.js'
import { MAX_BATCH_BYTES } from './constants.js'
import { MAX_ENTRY_BYTES } from './limits.js'
import type { LibraryEntry } from './entry.js'

/** Several entries in one message: a JSON array, at most MAX_BATCH_BYTES, each entry at most MAX_ENTRY_BYTES. */
export function encodeBatch (entries: LibraryEntry[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(entries))
}

/**
 * Splits entries into batches that each fit a message, up to `maxBatches` (the rest is not even encoded); an
 * entry over its own limit is left out (and said).
 */
export function packBatches (entries: LibraryEntry[], onTooLarge: (entry: LibraryEntry) => void, maxBatches = Infinity): LibraryEntry[][] {
  const batches: LibraryEntry[][] = []
  let batch: LibraryEntry[] = []
  let bytes = 2
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1
    if (size > MAX_ENTRY_BYTES) {
      onTooLarge(entry)
      continue
    }
    if (bytes + size > MAX_BATCH_BYTES && batch.length > 0) {
      batches.push(batch)
      if (batches.length >= maxBatches) return batches
      batch = []
      bytes = 2
    }
    batch.push(entry)
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

export function decodeBatch (bytes: Uint8Array): LibraryEntry[] {
  if (bytes.byteLength > MAX_BATCH_BYTES) throw new BadEntryError(`a batch of ${bytes.byteLength} bytes is over the limit of ${MAX_BATCH_BYTES}`)
  const raw = parseJson(bytes, () => new BadEntryError('a batch is not UTF-8 JSON'))
  if (!Array.isArray(raw)) throw new BadEntryError('a batch is not a list of entries')
  return raw.map(checkEntry)
}
