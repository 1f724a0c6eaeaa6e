/** An inclusive byte range of a file, as HTTP counts them. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Reads a `Range` header for a file of `size` bytes: one range (`bytes=S-E`, `bytes=S-`, `bytes=-N`) clamped to
 * the file, 'unsatisfiable' when it starts past the end, and undefined for no header or one this server does
 * not serve ranges for (several ranges, other units, nonsense), which RFC 9110 answers with the whole file.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header == null || header.length > 100) return undefined
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim())
  if (match == null) return undefined
  const [, first, last] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
}
