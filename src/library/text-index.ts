/**
 * Which entries hold which words, for `library ls --text`: a query word matches every indexed word it
 * begins, and an entry matches when it matches every query word. The sorted word list finds a prefix's
 * words by binary search, and only the entries of the rarest query word are looked at, so a query costs the
 * entries it could find, not the entries in the library.
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
    // Only the rarest word's entries are gathered; each is then checked for the other words among its own few.
    const matches = terms.map(term => ({ term, words: this.withPrefix(term) }))
    const rarest = matches.reduce((a, b) => count(this.ids, b.words) < count(this.ids, a.words) ? b : a)
    const others = terms.filter(term => term !== rarest.term)
    const found = new Set<string>()
    for (const word of rarest.words) {
      for (const id of this.ids.get(word) ?? []) {
        const words = this.wordsOf.get(id) ?? []
        if (others.every(term => words.some(w => w.startsWith(term)))) found.add(id)
      }
    }
    return found
  }

  /** The indexed words that start with `prefix`. */
  private withPrefix (prefix: string): string[] {
    this.sorted ??= [...this.ids.keys()].sort()
    const words = this.sorted
    let lo = 0
    let hi = words.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (words[mid] < prefix) lo = mid + 1
      else hi = mid
    }
    const found: string[] = []
    for (let i = lo; i < words.length && words[i].startsWith(prefix); i++) found.push(words[i])
    return found
  }
}

function count (ids: Map<string, Set<string>>, words: string[]): number {
  return words.reduce((sum, word) => sum + (ids.get(word)?.size ?? 0), 0)
}

/** Lower-case words of letters and digits: "M3-Bracket_v2.scad" is m3, bracket, v2, scad. */
export function splitWords (text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(w => w !== '')
}
