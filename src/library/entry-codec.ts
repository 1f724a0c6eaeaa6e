import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { isStamp } from './hlc.js'
import { ENTRY_ID, MAX_DOTS, MAX_ENTRY_BYTES, MAX_FILES_PER_VERSION, MAX_HOLDERS, MAX_OUTPUTS, MAX_TAG_CHARS, MAX_TAGS, MAX_TEXT_CHARS, MAX_VERSIONS, TAG } from './limits.js'
import type { LibraryEntry } from './entry.js'

/** An entry from a peer that is not one: the message names the first bad field. */
export class BadEntryError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BadEntryError'
  }
}

const strict = { additionalProperties: false }
/** TAG without its unicode flag, which a schema pattern cannot carry; TAG itself is checked after. */
const TAG_PATTERN = `^[^\\s]{1,${MAX_TAG_CHARS}}$`
const Stamp = Type.String({ maxLength: 160 })
const Text = Type.Object({ value: Type.String({ maxLength: MAX_TEXT_CHARS }), at: Stamp }, strict)
const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' })
const File = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), hash: Hash, size: Type.Integer({ minimum: 0 }) }, strict)
const Dots = Type.Array(Stamp, { maxItems: MAX_DOTS })
const EntrySchema = Type.Object({
  id: Type.String({ pattern: ENTRY_ID.source }),
  created: Stamp,
  name: Text,
  author: Text,
  license: Text,
  source: Text,
  tags: Type.Record(Type.String({ pattern: TAG_PATTERN }), Type.Object({ added: Dots, removed: Dots }, strict), { maxProperties: MAX_TAGS, additionalProperties: false }),
  versions: Type.Record(Type.String({ maxLength: 65 * MAX_FILES_PER_VERSION, pattern: '^[0-9a-f]{64}(\\+[0-9a-f]{64})*$' }), Type.Object({ files: Type.Array(File, { minItems: 1, maxItems: MAX_FILES_PER_VERSION }), at: Stamp }, strict), { maxProperties: MAX_VERSIONS, additionalProperties: false }),
  outputs: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}/[0-9]{1,2}$' }), Type.Object({
    job: Type.String({ maxLength: 100 }),
    stage: Type.Integer({ minimum: 0, maximum: 64 }),
    kind: Type.String({ maxLength: 64 }),
    version: Type.String({ maxLength: 65 * MAX_FILES_PER_VERSION }),
    file: Type.Optional(File),
    params: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }), { maxProperties: 64, additionalProperties: false }),
    profile: Type.Optional(Type.String({ maxLength: 200 })),
    state: Type.String({ maxLength: 32 }),
    at: Stamp
  }, strict), { maxProperties: MAX_OUTPUTS, additionalProperties: false }),
  holders: Type.Record(Hash, Type.Array(Type.String({ maxLength: 128 }), { maxItems: MAX_HOLDERS }), { maxProperties: MAX_FILES_PER_VERSION * 16, additionalProperties: false }),
  removed: Type.Object({ value: Type.Boolean(), at: Stamp }, strict)
}, strict)
const check = Compile(EntrySchema)

/** An entry as it travels: JSON, at most MAX_ENTRY_BYTES. */
export function encodeEntry (entry: LibraryEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(entry))
}

export function decodeEntry (bytes: Uint8Array): LibraryEntry {
  if (bytes.byteLength > MAX_ENTRY_BYTES) throw new BadEntryError(`an entry of ${bytes.byteLength} bytes is over the limit of ${MAX_ENTRY_BYTES}`)
  return checkEntry(parseJson(bytes, () => new BadEntryError('an entry is not UTF-8 JSON')))
}

/** The JSON value of a message from a peer, or the error `bad` makes. */
export function parseJson (bytes: Uint8Array, bad: () => Error): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw bad()
  }
}

/** A parsed value as an entry, every field and every stamp checked. */
export function checkEntry (raw: unknown): LibraryEntry {
  if (!check.Check(raw)) {
    const first = [...check.Errors(raw)][0]
    throw new BadEntryError(`entry${first?.instancePath.replaceAll('/', '.') ?? ''}: ${first?.message ?? 'invalid'}`)
  }
  const entry = raw as LibraryEntry
  for (const tag of Object.keys(entry.tags)) if (!TAG.test(tag)) throw new BadEntryError(`entry.tags: "${tag.slice(0, 80)}" is not a tag`)
  if (!stamps(entry).every(isStamp)) throw new BadEntryError('entry: a stamp is not a clock stamp')
  return entry
}

function stamps (entry: LibraryEntry): string[] {
  return [
    entry.created, entry.name.at, entry.author.at, entry.license.at, entry.source.at, entry.removed.at,
    ...Object.values(entry.tags).flatMap(t => [...t.added, ...t.removed]),
    ...Object.values(entry.versions).map(v => v.at),
    ...Object.values(entry.outputs).map(o => o.at)
  ]
}
