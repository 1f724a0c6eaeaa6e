import Type from 'typebox'
import { checkFileName } from '../../jobs/file-names.js'
import { BadRequestError } from '../api-errors.js'
import { API_PREFIX, callerOf, requestSignal, routeSchema } from './method-routes.js'
import type { FastifyInstance } from 'fastify'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { MethodTable } from '../method-table.js'

/** Designs per upload: one job each; and included files (`with`) they share. */
const MAX_FILES = 64
/** Form fields: pipeline, profile, material, printer, notify, priority, copies and the -D parameters. */
const MAX_FIELDS = 256
const MAX_FIELD_BYTES = 4096
const MAX_PARAM_NAME = 128

interface StoredUpload {
  hash: string
  size: number
  name: string
}

/**
 * POST /api/v1/jobs: a multipart form with one `file` per design (and `with` for files they include) and the
 * job's options as fields. Each file streams into the blob store as it arrives (never held in memory; past
 * the blob limit it is refused with 413 and its temp file removed), then the jobs are made from the blobs by
 * the `jobs.create` method.
 */
export function uploadRoute (app: FastifyInstance, methods: MethodTable, blobStore: Pick<BlobStore, 'write' | 'maxBlobBytes'>): void {
  const spec = methods.spec('jobs.create')
  if (spec == null) return
  app.post(API_PREFIX + '/jobs', {
    schema: {
      ...routeSchema(spec, { path: '/jobs' }),
      body: Type.Object({
        file: Type.String({ format: 'binary', description: 'a design (or STL, or G-code); repeatable, one job each' }),
        with: Type.Optional(Type.String({ format: 'binary', description: 'a file the designs include; repeatable' })),
        pipeline: Type.Optional(Type.String({ description: 'stage names, comma separated, e.g. scad,slice' })),
        D: Type.Optional(Type.String({ description: 'an OpenSCAD parameter NAME=VALUE; repeatable' })),
        profile: Type.Optional(Type.String()),
        material: Type.Optional(Type.String()),
        printer: Type.Optional(Type.String()),
        notify: Type.Optional(Type.String()),
        priority: Type.Optional(Type.String({ description: 'high, normal or low: its place in the print queue' })),
        copies: Type.Optional(Type.String({ description: 'prints of the part, a whole number; the pipeline ends in print' })),
        requestId: Type.Optional(Type.String())
      }),
      response: { 201: spec.result },
      consumes: ['multipart/form-data'],
      description: 'Multipart form: file (repeatable, one job each), with (files they include), pipeline ("scad,slice"), D (repeatable NAME=VALUE), profile, material, printer, notify, priority (high, normal, low), copies, requestId (or the Idempotency-Key header: a retry with the same id gets the jobs the first attempt made). Needs scope submit.'
    }
  }, async (request, reply) => {
    const caller = callerOf(request)
    // Refused before a byte of the body is read: a read token uploads nothing.
    await methods.authorize('jobs.create', caller)
    if (!request.isMultipart()) throw new BadRequestError('send the job as multipart/form-data with a "file" field (curl -F file=@part.scad)', 'file')
    const files: StoredUpload[] = []
    const extra: StoredUpload[] = []
    const params: Record<string, string> = {}
    const options: Record<string, string | number> = {}
    let pipeline: string[] | undefined
    let requestId = single(request.headers['idempotency-key'])
    // preservePath: the name as the client sent it, so a path in it is refused rather than quietly cut off.
    // The parser cuts a file one byte past the blob limit, so the blob store sees it is too large and refuses
    // it (a file cut at the limit itself would look whole).
    const parts = malformedAsBadRequest(request.parts({ preservePath: true, limits: { fileSize: blobStore.maxBlobBytes + 1, files: MAX_FILES, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } }))
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' && part.fieldname !== 'with') throw new BadRequestError(`unknown file field ${part.fieldname}: send designs as "file" and included files as "with"`, part.fieldname)
        const name = uploadName(part.filename, part.fieldname)
        const stored = await blobStore.write(part.file)
        ;(part.fieldname === 'file' ? files : extra).push({ hash: stored.hash, size: stored.size, name })
        continue
      }
      const value = String(part.value)
      switch (part.fieldname) {
        case 'pipeline': pipeline = value.split(',').map(s => s.trim()).filter(s => s !== ''); break
        case 'requestId': requestId = value; break
        case 'D': {
          const eq = value.indexOf('=')
          if (eq <= 0 || eq > MAX_PARAM_NAME) throw new BadRequestError(`D takes NAME=VALUE, not "${value.slice(0, 40)}"`, 'D')
          params[value.slice(0, eq)] = value.slice(eq + 1)
          break
        }
        case 'profile':
        case 'material':
        case 'printer':
        case 'notify':
        case 'priority': options[part.fieldname] = value; break
        case 'copies':
          if (!/^[0-9]{1,6}$/.test(value)) throw new BadRequestError(`copies takes a whole number, not "${value.slice(0, 40)}"`, 'copies')
          options.copies = Number(value)
          break
        default: throw new BadRequestError(`unknown field ${part.fieldname}`, part.fieldname)
      }
    }
    if (files.length === 0) throw new BadRequestError('the form has no "file" field: give the design to make', 'file')
    const jobs = await methods.call('jobs.create', { files, extra, pipeline, options: { ...options, params }, requestId }, { caller, signal: requestSignal(reply), emit: () => {} })
    return reply.code(201).send(jobs)
  })
}

function single (header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header
}

/** The multipart parser's own complaints about the body (plain Errors, no code) as the client's mistake. */
export async function * malformedAsBadRequest<T> (parts: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield * parts
  } catch (err: any) {
    if (err?.constructor === Error && (err as { code?: string }).code == null && /multipart/i.test(String(err.message))) throw new BadRequestError(`the form is not valid multipart: ${String(err.message)}`, 'body')
    throw err
  }
}

/** The uploaded file's own name, if it is a plain one; a path, a hidden or a hostile name is refused. */
export function uploadName (filename: string | undefined, field: string): string {
  if (filename == null || filename === '') throw new BadRequestError(`the ${field} field carries no file name`, field)
  try {
    return checkFileName(filename)
  } catch (err: any) {
    throw new BadRequestError(err.message, field)
  }
}
