/**
 * Which entries hold which words, for `library ls --text`: a query word matches every indexed word it
 * begins, and an entry matches when it matches every query word. The sorted word list finds a prefix's
 * words by binary search, so a query costs the words it matches, not the entries in the library.
 */
export class TextIndex {
  private readonly ids = new Map<string, Set<string>>()
  private readonly wordsOf = new Map<string, string[]>()
  private sorted: string[] | undefined

  set (id: string, text: string): void {
    this.delete(id)
    const words = [...new Set(splitWords(text))]
    this.wordsOf.set(id, words)
    for (const word of words) {
      let holders = this.ids.get(word)
      if (holders == null) {
        holders = new Set()
        this.ids.set(word, holders)
        this.sorted = undefined
      }
      holders.add(id)
    }
  }

  delete (id: string): void {
    for (const word of this.wordsOf.get(id) ?? []) {
      const holders = this.ids.get(word)
      holders?.delete(id)
      if (holders?.size === 0) {
        this.ids.delete(word)
        this.sorted = undefined
      }
    }
    this.wordsOf.delete(id)
  }

  /** The ids holding every word of `query`; an empty query matches nothing. */
  search (query: string): Set<string> {
    const terms = [...new Set(splitWords(query))]
    if (terms.length === 0) return new Set()
    let found: Set<string> | undefined
    // The rarest word first keeps the intersections small.
    const sets = terms.map(term => this.withPrefix(term)).sort((a, b) => a.size - b.size)
    for (const ids of sets) {
      found = found == null ? ids : new Set([...found].filter(id => ids.has(id)))
      if (found.size === 0) break
    }
    return found ?? new Set()
  }

  private withPrefix (prefix: string): Set<string> {
    this.sorted ??= [...this.ids.keys()].sort()
    const words = this.sorted
    let lo = 0
    let hi = words.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (words[mid] < prefix) lo = mid + 1
      else hi = mid
    }
    const found = new Set<string>()
    for (let i = lo; i < words.length && words[i].startsWith(prefix); i++) for (const id of this.ids.get(words[i]) ?? []) found.add(id)
    return found
  }
}

/** Lower-case words of letters and digits: "M3-Bracket_v2.scad" is m3, bracket, v2, scad. */
export function splitWords (text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(w => w !== '')
}
