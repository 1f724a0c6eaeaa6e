import { currentTags, type LibraryEntry } from './entry.js'
import { searchableText } from './entry-view.js'
import { mergeEntry } from './merge.js'
import { TextIndex } from './text-index.js'
import type { MeshDb } from '../store/open-db.js'

/** One collator for every sort: `localeCompare` makes one per call. */
const byName = new Intl.Collator()

export interface EntryQuery {
  tag?: string
  author?: string
  text?: string
  /** Removed entries too. */
  removed?: boolean
}

/** An entry changed here: by a local edit (`local`), or by a merge of a peer's state. */
export interface EntryChange {
  entry: LibraryEntry
  local: boolean
}

/**
 * The library's entries in LevelDB, every one also held in memory with a word index, so a query over ten
 * thousand entries reads no disk. Every write is a merge with what is stored: a local edit and a peer's state
 * take the same path, and a state already known changes nothing and tells no one. A page of a peer's entries
 * is written in one batch.
 */
export class LibraryStore extends EventTarget {
  private readonly db
  private readonly entries = new Map<string, LibraryEntry>()
  private readonly index = new TextIndex()
  private writes: Promise<void> = Promise.resolve()

  private constructor (db: MeshDb) {
    super()
    this.db = db.sublevel<string, LibraryEntry>('library', { valueEncoding: 'json' })
  }

  static async open (db: MeshDb): Promise<LibraryStore> {
    const store = new LibraryStore(db)
    for await (const entry of store.db.values()) store.remember(entry)
    return store
  }

  get (id: string): LibraryEntry | undefined {
    return this.entries.get(id)
  }

  /** Every entry, removed ones included, in id order. */
  all (): LibraryEntry[] {
    return [...this.entries.values()].sort((a, b) => a.id < b.id ? -1 : 1)
  }

  get size (): number {
    return this.entries.size
  }

  query (query: EntryQuery): LibraryEntry[] {
    const ids = query.text == null ? undefined : this.index.search(query.text)
    const candidates = ids == null ? this.entries.values() : [...ids].map(id => this.entries.get(id) as LibraryEntry)
    const author = query.author?.toLowerCase()
    const found: LibraryEntry[] = []
    for (const entry of candidates) {
      if (entry.removed.value && query.removed !== true) continue
      if (query.tag != null && !currentTags(entry.tags).includes(query.tag)) continue
      if (author != null && entry.author.value.toLowerCase() !== author) continue
      found.push(entry)
    }
    return found.sort((a, b) => byName.compare(a.name.value, b.name.value) || (a.id < b.id ? -1 : 1))
  }

  /** Merges peers' states of entries; the merged entries that changed. */
  async merge (incoming: LibraryEntry[]): Promise<LibraryEntry[]> {
    const changed = incoming.flatMap(entry => this.apply(entry, false) ?? [])
    await this.persist(changed)
    return changed
  }

  /** Applies a local edit to the stored entry (or makes it, when `edit` gets undefined). */
  async edit (id: string, edit: (entry: LibraryEntry | undefined) => LibraryEntry): Promise<LibraryEntry> {
    const next = edit(this.entries.get(id))
    const merged = this.apply(next, true)
    if (merged == null) return this.entries.get(id) ?? next
    await this.persist([merged])
    return merged
  }

  /**
   * Merges into the entry held in memory, at once: every later edit or merge starts from the result, so no
   * lock is needed and none is lost. Those listening hear of it before it is on disk.
   */
  private apply (incoming: LibraryEntry, local: boolean): LibraryEntry | undefined {
    const known = this.entries.get(incoming.id)
    const merged = known == null ? incoming : mergeEntry(known, incoming)
    if (known != null && JSON.stringify(merged) === JSON.stringify(known)) return undefined
    this.remember(merged)
    this.dispatchEvent(new CustomEvent<EntryChange>('change', { detail: { entry: merged, local } }))
    return merged
  }

  /** Writes states in the order they were made (one batch at a time), so the last made is the one stored. */
  private async persist (entries: LibraryEntry[]): Promise<void> {
    if (entries.length === 0) return
    const write = this.writes.then(async () => this.db.batch(entries.map(entry => ({ type: 'put' as const, key: entry.id, value: entry }))))
    this.writes = write.catch(() => {})
    await write
  }

  private remember (entry: LibraryEntry): void {
    this.entries.set(entry.id, entry)
    if (entry.removed.value) this.index.delete(entry.id)
    else this.index.set(entry.id, searchableText(entry))
  }
}
