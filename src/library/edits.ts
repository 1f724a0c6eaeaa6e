import { contentKey, liveDots, type LibraryEntry, type LibraryFile, type Output } from './entry.js'

/**
 * Local edits of an entry, each a new state stamped by the editing peer's clock. They only add stamps, dots and
 * records, so a merge with any other peer's state keeps them.
 */

export interface EntryFields {
  name: string
  author?: string
  license?: string
  source?: string
  tags?: string[]
}

export function newEntry (id: string, fields: EntryFields, files: LibraryFile[], at: string): LibraryEntry {
  const entry: LibraryEntry = {
    id,
    created: at,
    name: { value: fields.name, at },
    author: { value: fields.author ?? '', at },
    license: { value: fields.license ?? '', at },
    source: { value: fields.source ?? '', at },
    tags: {},
    versions: { [contentKey(files)]: { files, at } },
    outputs: {},
    holders: {},
    removed: { value: false, at }
  }
  return editTags(entry, fields.tags ?? [], [], at)
}

export type EditableField = 'name' | 'author' | 'license' | 'source'

export function setField (entry: LibraryEntry, field: EditableField, value: string, at: string): LibraryEntry {
  return { ...entry, [field]: { value, at } }
}

/** Adds tags with a new dot each and removes every dot seen of the removed tags. */
export function editTags (entry: LibraryEntry, add: string[], remove: string[], at: string): LibraryEntry {
  const tags = structuredClone(entry.tags)
  for (const tag of remove) {
    const known = tags[tag]
    if (known != null) known.removed = [...new Set([...known.removed, ...liveDots(known)])].sort()
  }
  for (const tag of add) {
    const known = tags[tag] ?? { added: [], removed: [] }
    known.added = [...known.added, at].sort()
    tags[tag] = known
  }
  return { ...entry, tags }
}

/** The entry with a version of these files: unchanged (same object) when it already has one. */
export function addVersion (entry: LibraryEntry, files: LibraryFile[], at: string): LibraryEntry {
  const key = contentKey(files)
  if (Object.hasOwn(entry.versions, key)) return entry
  return { ...entry, versions: { ...entry.versions, [key]: { files, at } } }
}

export function addOutput (entry: LibraryEntry, output: Output): LibraryEntry {
  const key = `${output.job}/${output.stage}`
  if (Object.hasOwn(entry.outputs, key)) return entry
  return { ...entry, outputs: { ...entry.outputs, [key]: output } }
}

export function addHolder (entry: LibraryEntry, hash: string, peer: string): LibraryEntry {
  const holders = entry.holders[hash] ?? []
  if (holders.includes(peer)) return entry
  return { ...entry, holders: { ...entry.holders, [hash]: [...holders, peer].sort() } }
}

export function removeEntry (entry: LibraryEntry, at: string): LibraryEntry {
  return { ...entry, removed: { value: true, at } }
}
