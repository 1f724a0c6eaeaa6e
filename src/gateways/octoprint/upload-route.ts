import { BadRequestError } from '../../api/api-errors.js'
import { malformedAsBadRequest, uploadName } from '../../api/http/upload-route.js'
import { requestSignal } from '../../api/http/method-routes.js'
import { keyOf } from './api-key.js'
import { baseUrl, fileEntry, resourceUrl } from './file-entry.js'
import { printPipeline } from './file-types.js'
import type { GatewayRoutes } from './gateway-routes.js'
import type { KeptFile } from './kept-files.js'
import type { FastifyInstance } from 'fastify'

/** Form fields: select, print, path, userdata and the few others clients add; each small. */
const MAX_FIELDS = 16
const MAX_FIELD_BYTES = 4096

/**
 * POST /api/files/local, the slicers' "upload (and print)": a multipart form with one `file` and the `select`
 * and `print` flags. The file streams into the blob store (past the blob limit: 413, nothing kept) and is kept
 * under its name; with `print` it becomes a print job of the mesh. Answers 201 with a Location, as OctoPrint.
 */
export function uploadRoute (app: FastifyInstance, routes: GatewayRoutes): void {
  const { methods, blobStore, kept, submitter } = routes
  app.post('/api/files/local', async (request, reply) => {
    const key = keyOf(request)
    // Refused before a byte of the body is read: a read-only key uploads nothing.
    await methods.authorize('jobs.create', key.caller)
    if (!request.isMultipart()) throw new BadRequestError('send the file as multipart/form-data with a "file" field', 'file')
    let upload: KeptFile | undefined
    let select = false
    let print = false
    // The parser cuts a file one byte past the blob limit, so the blob store sees it is too large and refuses it.
    const parts = malformedAsBadRequest(request.parts({ preservePath: true, limits: { fileSize: blobStore.maxBlobBytes + 1, files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } }))
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw new BadRequestError(`unknown file field ${part.fieldname.slice(0, 40)}: send the file as "file"`, part.fieldname)
        const name = keptName(part.filename)
        printPipeline(name)
        const stored = await blobStore.write(part.file)
        upload = { name, hash: stored.hash, size: stored.size, date: Math.floor(Date.now() / 1000) }
        continue
      }
      const value = String(part.value)
      switch (part.fieldname) {
        case 'select': select = isTrue(value); break
        case 'print': print = isTrue(value); break
        case 'path': checkPath(value); break
        // userdata and the rest: metadata OctoPrint stores beside the file; the mesh has no use for them.
        default: break
      }
    }
    if (upload == null) throw new BadRequestError('the form has no "file" field: give the file to upload', 'file')
    await kept.keep(upload)
    if (print) await submitter.print(upload, key, requestSignal(reply))
    const base = baseUrl(request.headers.host, routes.url())
    return reply.code(201).header('location', resourceUrl(base, upload.name)).send({
      files: { local: fileEntry(upload, base) },
      done: true,
      effectiveSelect: select || print,
      effectivePrint: print
    })
  })
}

/**
 * The name an upload is kept under. A name that climbs, hides or carries a path is refused; otherwise the
 * characters a plain name has no room for (the spaces and brackets of "Part (1).gcode") become "_", as OctoPrint
 * too keeps uploads under a sanitized name and says which in the answer.
 */
function keptName (filename: string | undefined): string {
  if (filename == null || filename === '' || /[/\\\0]/.test(filename) || filename.startsWith('.')) return uploadName(filename, 'file')
  return uploadName(filename.replace(/[^A-Za-z0-9._-]+/g, '_'), 'file')
}

/** OctoPrint's form booleans: "true" (any case), "yes", "1", "on". */
function isTrue (value: string): boolean {
  return ['true', 'yes', '1', 'on'].includes(value.trim().toLowerCase())
}

/** The gateway has one folder, the top one: a path into a folder is refused rather than flattened. */
function checkPath (value: string): void {
  if (value !== '' && value !== '/') throw new BadRequestError(`path "${value.slice(0, 80)}": this gateway keeps files in its top folder only; leave path empty`, 'path')
}
