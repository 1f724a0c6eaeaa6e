import type { LibraryEntry, Register, TagSet } from './entry.js'

/**
 * The merge of two states of one entry. Each field merges on its own and every merge here is commutative,
 * associative and idempotent, so peers that exchanged their edits in any order, any number of times, hold the
 * same entry: registers keep the later stamp, sets (tag dots, versions, outputs, holders) are unions, and on a
 * tie the smaller encoding wins so that every peer picks the same.
 */
export function mergeEntry (a: LibraryEntry, b: LibraryEntry): LibraryEntry {
  if (a.id !== b.id) throw new Error(`cannot merge entry ${a.id} with entry ${b.id}`)
  return {
    id: a.id,
    created: a.created < b.created ? a.created : b.created,
    name: mergeRegister(a.name, b.name),
    author: mergeRegister(a.author, b.author),
    license: mergeRegister(a.license, b.license),
    source: mergeRegister(a.source, b.source),
    tags: mergeTags(a.tags, b.tags),
    versions: mergeRecords(a.versions, b.versions, earlier),
    outputs: mergeRecords(a.outputs, b.outputs, earlier),
    holders: mergeRecords(a.holders, b.holders, union),
    removed: mergeRegister(a.removed, b.removed)
  }
}

export function mergeRegister<T> (a: Register<T>, b: Register<T>): Register<T> {
  if (a.at !== b.at) return a.at > b.at ? a : b
  return JSON.stringify(a.value) <= JSON.stringify(b.value) ? a : b
}

export function mergeTags (a: TagSet, b: TagSet): TagSet {
  return mergeRecords(a, b, (x, y) => ({ added: union(x.added, y.added), removed: union(x.removed, y.removed) }))
}

/** A union of the keys; a key on both sides takes `both` of its two values. Keys come out sorted. */
function mergeRecords<T> (a: Record<string, T>, b: Record<string, T>, both: (x: T, y: T) => T): Record<string, T> {
  // fromEntries defines each key as its own property: a key "__proto__" from a peer stays a key.
  return Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].sort().map(key => {
    const x = Object.hasOwn(a, key) ? a[key] : undefined
    const y = Object.hasOwn(b, key) ? b[key] : undefined
    return [key, x === undefined ? y as T : y === undefined ? x : both(x, y)]
  }))
}

function union (a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort()
}

/** Of two records of one version or output, the one stamped first (its files are the same: the key is their content). */
function earlier<T extends { at: string }> (a: T, b: T): T {
  if (a.at !== b.at) return a.at < b.at ? a : b
  return JSON.stringify(a) <= JSON.stringify(b) ? a : b
}
