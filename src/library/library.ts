import { randomBytes } from 'node:crypto'
import { basename } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { designTypeOfFile, nameForType, UnknownDesignTypeError, type DesignType } from './design-type.js'
import { addHolder, addOutput, addVersion, editTags, newEntry, removeEntry, setField, type EditableField } from './edits.js'
import { contentKey, entryBlobs, latestVersion, orderedVersions, type LibraryEntry, type LibraryFile } from './entry.js'
import { BadEntryFieldError, BlobUnavailableError, EntryNotFoundError } from './errors.js'
import { ENTRY_ID, MAX_TAGS, MAX_TEXT_CHARS, TAG } from './limits.js'
import type { HybridClock } from './hlc.js'
import type { JobLinks } from './job-links.js'
import type { LibraryStore } from './library-store.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { Coordinator } from '../requester/coordinator.js'
import type { JobOptions, JobRecord } from '../jobs/job.js'

const log = logger('meshnode:library')

export interface LibraryComponents {
  store: LibraryStore
  clock: HybridClock
  links: JobLinks
  blobStore: Pick<BlobStore, 'importFile' | 'has' | 'exportTo'>
  blobs: Pick<BlobService, 'fetch'>
  coordinator: Pick<Coordinator, 'submitStored'>
  /** This peer's id. */
  self: string
  /** Peers reachable now, that a blob may be fetched from. */
  livePeers: () => Set<string>
  /** Asked the type of a file the library does not recognise; undefined when none is configured or it knows none. */
  classify?: (path: string, name: string) => Promise<DesignType | undefined>
}

export interface DesignFields {
  name?: string
  author?: string
  license?: string
  source?: string
  tags?: string[]
}

export interface AddResult {
  entry: LibraryEntry
  /** What the add did: a new entry, a new version of one, or nothing (the content was there). */
  outcome: 'new' | 'version' | 'unchanged'
}

export interface EntrySubmit {
  pipeline?: string[]
  options: JobOptions
  requestId?: string
}

/**
 * The library on this peer: designs added from local files (kept as blobs), found, tagged, removed, and
 * submitted as jobs whose outputs come back to the entry. Every change is a local edit of the store, which
 * tells the replication that spreads it.
 */
export class Library {
  private readonly c: LibraryComponents

  constructor (components: LibraryComponents) {
    this.c = components
  }

  get store (): LibraryStore {
    return this.c.store
  }

  /**
   * Adds a design (its file first, then those it includes) as a new entry, or as a new version of `to`. The
   * same content already in the library gives its entry back unchanged.
   */
  async add (path: string, extra: string[], fields: DesignFields, to?: string): Promise<AddResult> {
    const type = await this.typeOf(path)
    const files = [await this.importFile(path, nameForType(basename(path), type)), ...await Promise.all(extra.map(async p => this.importFile(p, basename(p))))]
    const key = contentKey(files)
    if (to != null) {
      const entry = this.mustGet(to)
      const next = await this.c.store.edit(entry.id, known => this.withHolders(addVersion(known ?? entry, files, this.c.clock.now()), files))
      return { entry: next, outcome: Object.hasOwn(entry.versions, key) ? 'unchanged' : 'version' }
    }
    const same = this.c.store.all().find(e => !e.removed.value && Object.hasOwn(e.versions, key))
    if (same != null) return { entry: same, outcome: 'unchanged' }
    const id = randomBytes(6).toString('hex')
    const named = { ...fields, name: fields.name ?? basename(path) }
    checkFields(named)
    const entry = await this.c.store.edit(id, () => this.withHolders(newEntry(id, named, files, this.c.clock.now()), files))
    return { entry, outcome: 'new' }
  }

  /** The blobs this peer keeps for the library: every version of every entry not removed. */
  keptBlobs (): string[] {
    return this.c.store.all().filter(e => !e.removed.value).flatMap(e => entryBlobs(e).map(f => f.hash))
  }

  /** The entry of an id or of an unambiguous start of one. */
  mustGet (id: string): LibraryEntry {
    const exact = this.c.store.get(id)
    if (exact != null && !exact.removed.value) return exact
    const found = id.length >= 4 && /^[0-9a-f]+$/.test(id) ? this.c.store.all().filter(e => e.id.startsWith(id) && !e.removed.value) : []
    if (found.length !== 1) throw new EntryNotFoundError(id)
    return found[0]
  }

  async tag (id: string, add: string[], remove: string[]): Promise<LibraryEntry> {
    const entry = this.mustGet(id)
    checkTags(add)
    return this.c.store.edit(entry.id, known => editTags(known ?? entry, add, remove, this.c.clock.now()))
  }

  async set (id: string, field: EditableField, value: string): Promise<LibraryEntry> {
    const entry = this.mustGet(id)
    checkFields({ [field]: value })
    return this.c.store.edit(entry.id, known => setField(known ?? entry, field, value, this.c.clock.now()))
  }

  async remove (id: string): Promise<LibraryEntry> {
    const entry = this.mustGet(id)
    return this.c.store.edit(entry.id, known => removeEntry(known ?? entry, this.c.clock.now()))
  }

  /** Submits the entry's newest version as a job, its files fetched here first from a peer that keeps them. */
  async submit (id: string, request: EntrySubmit): Promise<JobRecord[]> {
    const entry = this.mustGet(id)
    const [version, { files }] = latestVersion(entry) as [string, { files: LibraryFile[] }]
    for (const file of files) await this.fetchBlob(entry, file)
    const jobs = await this.c.coordinator.submitStored({ files: [files[0]], extra: files.slice(1), pipeline: request.pipeline, options: request.options, requestId: request.requestId })
    for (const job of jobs) await this.c.links.record(job.id, { entry: entry.id, version })
    return jobs
  }

  /** Writes version `number` (1 is the first; the newest unless given) of an entry's design file to `out`. */
  async exportDesign (id: string, out: string, number?: number): Promise<{ file: LibraryFile, version: number }> {
    const entry = this.mustGet(id)
    const versions = orderedVersions(entry)
    const version = number ?? versions.length
    const chosen = versions[version - 1]
    if (chosen == null) throw new BadEntryFieldError('version', `entry ${entry.id} has versions 1 to ${versions.length}`)
    const file = chosen[1].files[0]
    await this.fetchBlob(entry, file)
    await this.c.blobStore.exportTo(file.hash, out)
    return { file, version }
  }

  /** Brings a blob of the entry into this peer's store from a live holder; nothing to do when it is here. */
  async fetchBlob (entry: LibraryEntry, file: LibraryFile): Promise<void> {
    if (await this.c.blobStore.has(file.hash)) return
    const live = this.c.livePeers()
    for (const holder of (entry.holders[file.hash] ?? []).filter(h => live.has(h) && h !== this.c.self)) {
      try {
        await this.c.blobs.fetch(peerIdFromString(holder), file.hash, { expectedSize: file.size })
        await this.c.store.edit(entry.id, known => addHolder(known ?? entry, file.hash, this.c.self))
        return
      } catch (err) {
        log('fetching %s from %s failed %e', file.hash, holder, err)
      }
    }
    throw new BlobUnavailableError(file.name, file.hash)
  }

  /** A job made from an entry ended: the files its stages made become the entry's outputs. */
  async jobEnded (job: JobRecord): Promise<void> {
    const link = await this.c.links.get(job.id)
    if (link == null) return
    const entry = this.c.store.get(link.entry)
    if (entry != null) {
      await this.c.store.edit(entry.id, known => {
        let next = known ?? entry
        for (const stage of job.stages.filter(s => s.state === 'done')) {
          const file = stage.output == null ? undefined : { name: stage.output.name, hash: stage.output.hash, size: stage.output.size }
          next = addOutput(next, { job: job.id, stage: stage.index, kind: stage.kind, version: link.version, file, params: job.options.params, profile: job.options.profile, state: job.state, at: this.c.clock.now() })
          // The peers that made and pulled the file keep it until the library has its copies.
          for (const holder of stage.output?.holders ?? []) if (file != null) next = addHolder(next, file.hash, holder)
        }
        return next
      })
    }
    await this.c.links.forget(job.id)
  }

  private async typeOf (path: string): Promise<DesignType> {
    try {
      return await designTypeOfFile(path, basename(path))
    } catch (err) {
      if (!(err instanceof UnknownDesignTypeError) || this.c.classify == null) throw err
      const type = await this.c.classify(path, basename(path))
      if (type == null) throw err
      return type
    }
  }

  private async importFile (path: string, name: string): Promise<LibraryFile> {
    const { hash, size } = await this.c.blobStore.importFile(path)
    return { name, hash, size }
  }

  private withHolders (entry: LibraryEntry, files: LibraryFile[]): LibraryEntry {
    return files.reduce((next, file) => addHolder(next, file.hash, this.c.self), entry)
  }
}

export function isEntryId (value: string): boolean {
  return ENTRY_ID.test(value)
}

function checkFields (fields: DesignFields): void {
  for (const field of ['name', 'author', 'license', 'source'] as const) {
    const value = fields[field]
    if (value != null && (value.length > MAX_TEXT_CHARS || value.includes('\0'))) throw new BadEntryFieldError(field, `at most ${MAX_TEXT_CHARS} characters, no NUL`)
  }
  if (fields.name === '') throw new BadEntryFieldError('name', 'may not be empty')
  checkTags(fields.tags ?? [])
}

function checkTags (tags: string[]): void {
  if (tags.length > MAX_TAGS) throw new BadEntryFieldError('tags', `at most ${MAX_TAGS}`)
  for (const tag of tags) if (!TAG.test(tag)) throw new BadEntryFieldError('tags', `"${tag}" is not a tag: letters, digits and . _ / - (up to 64, starting with a letter or digit)`)
}
