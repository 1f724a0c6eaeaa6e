import Type from 'typebox'
import { Job, JobOptionsSchema } from './schemas.js'
import type { MethodSpec } from './method.js'
import type { TSchema } from 'typebox'

const strict = { additionalProperties: false }
const open = { additionalProperties: true }
const EntryId = Type.String({ minLength: 4, maxLength: 12, pattern: '^[0-9a-f]+$', description: 'a library entry id, or an unambiguous start of one (4 characters at least)' })
const Text = Type.String({ maxLength: 500 })
const Tags = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 })
const Pipeline = Type.Array(Type.String(), { description: 'stage names in order, e.g. ["scad", "slice"]' })
const File = Type.Object({ name: Type.String(), hash: Type.String(), size: Type.Integer() }, open)
const Entry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  author: Type.String(),
  license: Type.String(),
  source: Type.String(),
  tags: Type.Array(Type.String()),
  created: Type.Integer(),
  versions: Type.Array(Type.Object({ number: Type.Integer(), key: Type.String(), files: Type.Array(File), at: Type.Integer() }, open)),
  outputs: Type.Array(Type.Object({ job: Type.String(), stage: Type.Integer(), kind: Type.String() }, open)),
  holders: Type.Record(Type.String(), Type.Array(Type.String())),
  removed: Type.Boolean()
}, open)
const ById = (extra: Record<string, TSchema> = {}): TSchema => Type.Object({ id: EntryId, ...extra }, strict)

/** The design library's methods (src/library/); part of the node's one method table. */
export const LIBRARY_METHODS: readonly MethodSpec[] = [
  {
    name: 'library.add',
    summary: 'adds design files (paths on this machine) to the library, one entry each; content already there gives its entry back',
    access: 'owner',
    params: Type.Object({
      files: Type.Array(Type.String(), { minItems: 1, maxItems: 1000 }),
      extra: Type.Optional(Type.Array(Type.String(), { maxItems: 64, description: 'files the designs include (travel with each)' })),
      name: Type.Optional(Text),
      author: Type.Optional(Text),
      license: Type.Optional(Text),
      source: Type.Optional(Text),
      tags: Type.Optional(Tags),
      to: Type.Optional(EntryId)
    }, strict),
    result: Type.Array(Type.Object({ outcome: Type.Union([Type.Literal('new'), Type.Literal('version'), Type.Literal('unchanged')]), entry: Entry }))
  },
  {
    name: 'library.ls',
    summary: 'the library\'s entries, by tag, author and words of their names, tags and files',
    access: 'read',
    params: Type.Object({ tag: Type.Optional(Type.String({ maxLength: 64 })), author: Type.Optional(Text), text: Type.Optional(Text) }, strict),
    result: Type.Array(Entry),
    http: { verb: 'GET', path: '/library' }
  },
  { name: 'library.show', summary: 'one library entry: its versions, outputs and the peers keeping its files', access: 'read', params: ById(), result: Entry, http: { verb: 'GET', path: '/library/:id' } },
  {
    name: 'library.tag',
    summary: 'adds and removes tags of an entry',
    access: 'submit',
    params: ById({ add: Type.Optional(Tags), remove: Type.Optional(Tags) }),
    result: Entry,
    http: { verb: 'POST', path: '/library/:id/tags' }
  },
  { name: 'library.rm', summary: 'removes an entry from the library on every peer', access: 'submit', params: ById(), result: Entry, http: { verb: 'POST', path: '/library/:id/remove' } },
  {
    name: 'library.submit',
    summary: 'submits an entry\'s newest version as a job; its outputs are added to the entry',
    access: 'submit',
    params: ById({
      pipeline: Type.Optional(Pipeline),
      // The options of a file submit, beside the id rather than under `options`, as this method always took them.
      ...JobOptionsSchema.properties,
      requestId: Type.Optional(Type.String())
    }),
    result: Type.Array(Job),
    http: { verb: 'POST', path: '/library/:id/jobs' }
  },
  {
    name: 'library.get',
    summary: 'writes a version of an entry\'s design file (the newest unless told) to a local path, fetched from a peer that keeps it',
    access: 'owner',
    params: ById({ out: Type.String(), version: Type.Optional(Type.Integer({ minimum: 1 })) }),
    result: Type.Object({ path: Type.String(), name: Type.String(), size: Type.Integer(), hash: Type.String(), version: Type.Integer() })
  },
  {
    name: 'library.watch',
    summary: 'watches a folder (a path on this machine) until the caller goes away: new and changed designs are added to the library and processed; each file\'s outcome is streamed',
    access: 'owner',
    params: Type.Object({ dir: Type.String(), pipeline: Type.Optional(Pipeline), tags: Type.Optional(Tags), profile: Type.Optional(Type.String({ maxLength: 200 })) }, strict),
    result: Type.Null()
  }
]
