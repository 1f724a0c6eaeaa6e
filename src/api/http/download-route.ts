import { Readable } from 'node:stream'
import Type from 'typebox'
import { API_PREFIX, callerOf, requestSignal, routeSchema } from './method-routes.js'
import { parseRange } from './byte-range.js'
import type { FastifyInstance } from 'fastify'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { MethodTable } from '../method-table.js'

interface Output {
  hash: string
  size: number
  name: string
}

/**
 * GET /api/v1/jobs/:id/output[?stage=N]: a job's output streamed from the blob store, with its length, an ETag
 * that is its sha256, and single byte ranges, so a download cut halfway resumes where it stopped.
 */
export function downloadRoute (app: FastifyInstance, methods: MethodTable, blobStore: Pick<BlobStore, 'openRead'>): void {
  const spec = methods.spec('output')
  if (spec == null) return
  app.get(API_PREFIX + '/jobs/:id/output', {
    schema: { ...routeSchema(spec, { path: '/jobs/:id/output' }), response: { 200: Type.String({ description: 'the file', format: 'binary' }), 206: Type.String({ description: 'the range asked for', format: 'binary' }), 304: Type.Null({ description: 'If-None-Match had the ETag' }), 416: Type.Object({ error: Type.String(), message: Type.String() }) } }
  }, async (request, reply) => {
    const query = request.query as Record<string, unknown>
    const stage = typeof query.stage === 'string' && /^\d{1,6}$/.test(query.stage) ? Number(query.stage) : query.stage
    const params = { ...query, ...(stage === undefined ? {} : { stage }), ...(request.params as object) }
    const output = await methods.call('output', params, { caller: callerOf(request), signal: requestSignal(reply), emit: () => {} }) as Output
    const etag = `"${output.hash}"`
    reply.header('etag', etag)
      .header('accept-ranges', 'bytes')
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    const ifRange = request.headers['if-range']
    const range = ifRange == null || ifRange === etag ? parseRange(request.headers.range, output.size) : undefined
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${output.size}`).send({ error: 'RangeNotSatisfiableError', message: `the file has ${output.size} bytes`, field: 'Range' })
    }
    const start = range?.start ?? 0
    const length = range == null ? output.size : range.end - range.start + 1
    const reader = await blobStore.openRead(output.hash, start)
    reply.raw.once('close', () => { reader.close() })
    reply.header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${output.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    if (range != null) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${output.size}`)
    reply.header('content-length', length)
    return reply.send(Readable.from(upTo(reader.chunks, length), { objectMode: false }))
  })
}

/** The first `length` bytes of a stream of chunks. */
async function * upTo (chunks: AsyncIterable<Uint8Array>, length: number): AsyncGenerator<Uint8Array> {
  let left = length
  for await (const chunk of chunks) {
    if (left <= 0) return
    const part = chunk.byteLength > left ? chunk.subarray(0, left) : chunk
    left -= part.byteLength
    yield part
  }
}
