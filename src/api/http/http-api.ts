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
import { isLoopback, parseHttpListen } from '../../config/listen-address.js'
import { HttpListener } from './http-listener.js'
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

/**
 * The HTTP door (Fastify): the method table's routes under /api/v1, uploads, downloads, live events and the
 * OpenAPI document made from the same schemas. Every request is authenticated here and authorized by the
 * table, exactly as a unix socket call is.
 */
export class HttpApi {
  private readonly init: HttpApiInit
  private readonly listener = new HttpListener(async listen => this.build(listen), (listen, why) => new HttpListenError(listen, why))

  constructor (init: HttpApiInit) {
    this.init = init
  }

  /** http://HOST:PORT where it listens now. */
  get url (): string {
    return this.listener.url
  }

  async start (): Promise<string> {
    return await this.moveTo(this.init.listen)
  }

  /** Listens on `listen` instead; if it cannot, it stays where it was and says why. */
  async moveTo (listen: string): Promise<string> {
    if (!isLoopback(parseHttpListen(listen).host) && this.init.tokens.size === 0) throw new InsecureListenError(listen)
    const url = await this.listener.open(listen)
    log('HTTP API on %s', url)
    return url
  }

  async stop (): Promise<void> {
    await this.listener.close()
  }

  private async build (listen: string): Promise<FastifyInstance> {
    const { init } = this
    const loopback = isLoopback(parseHttpListen(listen).host)
    const app = Fastify({ bodyLimit: MAX_JSON_BODY_BYTES, forceCloseConnections: true, return503OnClosing: true })
    // Each app's own event streams end before it closes, which would otherwise wait for them.
    const streams = new Set<AbortController>()
    app.addHook('preClose', async () => { for (const stream of streams) stream.abort() })
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
      request.authentication = authenticate(request.headers, init.tokens, loopback)
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
        info: { title: 'meshnode HTTP API', version: '1', description: socketOnlyNote(init.methods) },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
        security: [{ bearer: [] }, { apiKey: [] }]
      }
    })
    methodRoutes(app, init.methods)
    uploadRoute(app, init.methods, init.blobStore)
    downloadRoute(app, init.methods, init.blobStore)
    eventsRoute(app, init.methods, streams)
    app.get(API_PREFIX + '/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    await dashboardRoute(app)
    return app
  }
}

/**
 * What the OpenAPI document says of the methods it has no route for. Owner methods are never reached over
 * HTTP (no token is the owner): they read and write paths on the node's machine, or hand out its secrets.
 */
function socketOnlyNote (methods: MethodTable): string {
  const owner = methods.specs().filter(spec => spec.access === 'owner').map(spec => `\`${spec.name}\``)
  return `Socket only, by design (the meshnode CLI on the node's own machine): ${owner.join(', ')}. ` +
    'They take paths on that machine (over HTTP, upload with POST /api/v1/jobs and download /api/v1/jobs/{id}/output) ' +
    'or hand out the node\'s secrets (tokens, invites), which only its owner may. `watch` streams over the socket; ' +
    'HTTP clients follow GET /api/v1/events instead.'
}
