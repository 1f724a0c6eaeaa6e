import { BadRequestError } from '../../api/api-errors.js'
import { requestSignal } from '../../api/http/method-routes.js'
import { keyOf } from './api-key.js'
import { FileNotFoundError } from './errors.js'
import { baseUrl, fileEntry } from './file-entry.js'
import type { GatewayRoutes } from './gateway-routes.js'
import type { KeptFile } from './kept-files.js'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * The kept files: listed (GET /api/files, /api/files/local), one file's entry (GET /api/files/local/NAME), and
 * OctoPrint's `select` command, which with `print: true` prints a kept file (POST /api/files/local/NAME).
 */
export function filesRoutes (app: FastifyInstance, routes: GatewayRoutes): void {
  const { methods, blobStore, kept, submitter } = routes
  /** A kept file whose blob the store still holds: the blob store ages out old blobs. */
  const present = async (name: string): Promise<KeptFile> => {
    const file = kept.get(name)
    if (file == null || !(await blobStore.has(file.hash))) throw new FileNotFoundError(name)
    return file
  }
  const base = (request: FastifyRequest): string => baseUrl(request.headers.host, routes.url())

  const list = async (request: FastifyRequest): Promise<unknown> => {
    keyOf(request)
    const files: Array<Record<string, unknown>> = []
    for (const file of kept.list()) if (await blobStore.has(file.hash)) files.push(fileEntry(file, base(request)))
    return { files }
  }
  app.get('/api/files', list)
  app.get('/api/files/local', list)

  app.get<{ Params: { name: string } }>('/api/files/local/:name', async (request) => {
    keyOf(request)
    return fileEntry(await present(request.params.name), base(request))
  })

  app.post<{ Params: { name: string } }>('/api/files/local/:name', async (request, reply) => {
    const key = keyOf(request)
    await methods.authorize('jobs.create', key.caller)
    const body = request.body as Record<string, unknown> | null
    if (body == null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('send a JSON object with a command, e.g. {"command": "select", "print": true}', 'command')
    if (body.command !== 'select') throw new BadRequestError(`command ${JSON.stringify(body.command)?.slice(0, 40) ?? 'missing'}: this gateway knows "select" (with "print": true to print)`, 'command')
    const file = await present(request.params.name)
    if (body.print === true) await submitter.print(file, key, requestSignal(reply))
    return reply.code(204).send()
  })
}
