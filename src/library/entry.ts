/**
 * A design in the library as every peer stores and sends it: a state that merges with any other state of the
 * same entry (see merge.ts). Times are hybrid-clock stamps (hlc.ts).
 */
export interface LibraryEntry {
  id: string
  /** When the entry was made; the earliest stamp wins a merge. */
  created: string
  name: Register<string>
  author: Register<string>
  license: Register<string>
  source: Register<string>
  tags: TagSet
  /** Versions by content key (the hashes of its files): the same content is one version wherever it was added. */
  versions: Record<string, Version>
  /** Files jobs made from the entry, by `jobId/stage`. */
  outputs: Record<string, Output>
  /** Peers that keep a blob of the entry, by blob hash. */
  holders: Record<string, string[]>
  /** A tombstone: true once removed; the entry stays so that a removal spreads and is not undone by a merge. */
  removed: Register<boolean>
}

/** A value and the stamp of the edit that set it: the later stamp wins. */
export interface Register<T> {
  value: T
  at: string
}

/**
 * An observed-remove set of tags: each add is marked with its own stamp (a dot), and a remove removes the dots
 * it saw. A tag is in the set while it has a dot not removed, so an add made concurrently with a remove wins.
 */
export type TagSet = Record<string, { added: string[], removed: string[] }>

export interface LibraryFile {
  name: string
  hash: string
  size: number
}

export interface Version {
  /** The design first, then the files it includes. */
  files: LibraryFile[]
  at: string
}

export interface Output {
  job: string
  stage: number
  /** The stage that made it: scad (an STL), slice (G-code), print. */
  kind: string
  /** The content key of the version it was made from. */
  version: string
  file?: LibraryFile
  params: Record<string, string>
  profile?: string
  state: string
  at: string
}

/** What a user sees of an entry: the merged state read out. */
export interface EntryView {
  id: string
  name: string
  author: string
  license: string
  source: string
  tags: string[]
  created: number
  versions: Array<{ number: number, key: string, files: LibraryFile[], at: number }>
  outputs: Output[]
  holders: Record<string, string[]>
  removed: boolean
}

export function currentTags (tags: TagSet): string[] {
  return Object.keys(tags).filter(tag => liveDots(tags[tag]).length > 0).sort()
}

export function liveDots (tag: { added: string[], removed: string[] }): string[] {
  const removed = new Set(tag.removed)
  return tag.added.filter(dot => !removed.has(dot))
}

/** Versions oldest first. */
export function orderedVersions (entry: LibraryEntry): Array<[string, Version]> {
  return Object.entries(entry.versions).sort(([ka, a], [kb, b]) => a.at === b.at ? (ka < kb ? -1 : 1) : (a.at < b.at ? -1 : 1))
}

export function latestVersion (entry: LibraryEntry): [string, Version] | undefined {
  return orderedVersions(entry).at(-1)
}

/** The content key of a set of files: their hashes in order, so the same files are the same version anywhere. */
export function contentKey (files: LibraryFile[]): string {
  return files.map(f => f.hash).join('+')
}

/** Every blob of the entry: each version's files and the files its jobs made. */
export function entryBlobs (entry: LibraryEntry): LibraryFile[] {
  const seen = new Map<string, LibraryFile>()
  for (const version of Object.values(entry.versions)) for (const file of version.files) seen.set(file.hash, file)
  for (const output of Object.values(entry.outputs)) if (output.file != null) seen.set(output.file.hash, output.file)
  return [...seen.values()]
}
