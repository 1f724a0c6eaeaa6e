import { stampTime } from './hlc.js'
import { currentTags, orderedVersions, type EntryView, type LibraryEntry } from './entry.js'

/** The entry as a user reads it: current values, tags present, versions numbered from 1. */
export function viewEntry (entry: LibraryEntry): EntryView {
  return {
    id: entry.id,
    name: entry.name.value,
    author: entry.author.value,
    license: entry.license.value,
    source: entry.source.value,
    tags: currentTags(entry.tags),
    created: stampTime(entry.created),
    versions: orderedVersions(entry).map(([key, v], i) => ({ number: i + 1, key, files: v.files, at: stampTime(v.at) })),
    outputs: Object.values(entry.outputs).sort((a, b) => a.at < b.at ? -1 : 1),
    holders: entry.holders,
    removed: entry.removed.value
  }
}

/** The words `ls --text` finds an entry by. */
export function searchableText (entry: LibraryEntry): string {
  const files = Object.values(entry.versions).flatMap(v => v.files.map(f => f.name))
  return [entry.name.value, entry.author.value, entry.license.value, entry.source.value, ...currentTags(entry.tags), ...files].join(' ')
}
