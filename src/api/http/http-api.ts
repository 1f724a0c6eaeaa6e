import Fastify, { type FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import { logger } from '@libp2p/logger'
import { authenticate, type Authentication } from './authenticate.js'
import { dashboardRoute } from './dashboard-route.js'
import { downloadRoute } from './download-route.js'
import { errorAnswer } from './http-errors.js'
import { eventsRoute } from './events-route.js'
import { formatHttpUrl, isLoopback, parseHttpListen } from './listen-address.js'
import { API_PREFIX, methodRoutes } from './method-routes.js'
import { uploadRoute } from './upload-route.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { MethodTable } from '../method-table.js'
import type { TokenStore } from '../token-store.js'

const log = logger('meshnode:http')

declare module 'fastify' {
  interface FastifyRequest {
    authentication?: Authentication
  }
}

/** JSON bodies (cancel, printer commands) are small; files come as multipart, streamed. */
const MAX_JSON_BODY_BYTES = 64 * 1024
/** Requests with a wrong or missing token, per client address and minute, before it is answered 429. */
const FAILED_AUTH_PER_MINUTE = 20

export interface HttpApiInit {
  /** HOST:PORT */
  listen: string
  methods: MethodTable
  tokens: TokenStore
  blobStore: Pick<BlobStore, 'write' | 'openRead' | 'maxBlobBytes'>
}

export class InsecureListenError extends Error {
  constructor (address: string) {
    super(`the HTTP API would listen on ${address}, which other machines can reach, and this node has no tokens: make one first ("meshnode token create NAME --scope read" while it listens on loopback, or with --http off), or listen on 127.0.0.1`)
    this.name = 'InsecureListenError'
  }
}

export class HttpListenError extends Error {
  constructor (address: string, why: string) {
    super(`cannot serve the HTTP API on ${address}: ${why}; choose another with --http (or "http": { "listen" } in the config), e.g. --http 127.0.0.1:0 for any free port, or --http off`)
    this.name = 'HttpListenError'
  }
}

/** Too many requests with a wrong or missing token from one address. */
class TooManyFailuresError extends Error {
  readonly statusCode = 429

  constructor (after: string) {
    super(`too many requests without a valid token from this address; try again in ${after}`)
    this.name = 'TooManyFailuresError'
  }
}

export const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another program, or another meshnode, listens on it)',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'not allowed (ports below 1024 need privileges)'
}

/**
 * The HTTP door (Fastify): the method table's routes under /api/v1, uploads, downloads, live events and the
 * OpenAPI document made from the same schemas. Every request is authenticated here and authorized by the
 * table, exactly as a unix socket call is.
 */
export class HttpApi {
  private readonly app: FastifyInstance
  private readonly init: HttpApiInit
  private readonly streams = new Set<AbortController>()
  private readonly loopback: boolean
  url = ''

  constructor (init: HttpApiInit) {
    this.init = init
    this.loopback = isLoopback(parseHttpListen(init.listen).host)
    this.app = Fastify({ bodyLimit: MAX_JSON_BODY_BYTES, forceCloseConnections: true, return503OnClosing: true })
  }

  async start (): Promise<string> {
    const { host, port } = parseHttpListen(this.init.listen)
    if (!this.loopback && this.init.tokens.size === 0) throw new InsecureListenError(this.init.listen)
    await this.build()
    try {
      await this.app.listen({ host, port })
    } catch (err: any) {
      await this.app.close()
      throw new HttpListenError(this.init.listen, LISTEN_REASONS[err.code] ?? err.message)
    }
    const bound = this.app.server.address()
    this.url = formatHttpUrl({ host, port: typeof bound === 'object' && bound != null ? bound.port : port })
    log('HTTP API on %s', this.url)
    return this.url
  }

  async stop (): Promise<void> {
    for (const stream of this.streams) stream.abort()
    await this.app.close()
  }

  private async build (): Promise<void> {
    const { app, init } = this
    // The method table validates every call, whatever the transport, and answers are plain JSON of the
    // records: Fastify's own validation and serialization are off, its route schemas serve the OpenAPI document.
    app.setValidatorCompiler(() => () => true)
    app.setSerializerCompiler(() => (data) => JSON.stringify(data))
    app.setErrorHandler((err, _request, reply) => {
      const { status, body } = errorAnswer(err)
      if (status >= 500) log.error('HTTP request failed %e', err)
      return reply.code(status).send(body)
    })
    app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'NotFoundError', message: `no route ${request.method} ${request.url.slice(0, 200)}` }))
    app.addHook('onRequest', async (request) => {
      request.authentication = authenticate(request.headers, init.tokens, this.loopback)
    })
    await app.register(rateLimit, {
      global: true,
      max: FAILED_AUTH_PER_MINUTE,
      timeWindow: 60_000,
      // Only API requests that failed authentication count: a busy dashboard with a good token is never
      // slowed, and its page and assets need no token (the page asks for one).
      allowList: (request) => request.authentication?.caller != null || !request.url.startsWith(API_PREFIX),
      errorResponseBuilder: (_request, context) => new TooManyFailuresError(context.after)
    })
    await app.register(multipart)
    await app.register(swagger, {
      openapi: {
        info: { title: 'meshnode HTTP API', version: '1' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
        security: [{ bearer: [] }, { apiKey: [] }]
      }
    })
    methodRoutes(app, init.methods)
    uploadRoute(app, init.methods, init.blobStore)
    downloadRoute(app, init.methods, init.blobStore)
    eventsRoute(app, init.methods, this.streams)
    app.get(API_PREFIX + '/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    await dashboardRoute(app)
  }
}
