import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { logger } from '@libp2p/logger'
import { LISTEN_REASONS } from '../../api/http/http-api.js'
import { formatHttpUrl, parseHttpListen } from '../../api/http/listen-address.js'
import { authenticateKey } from './api-key.js'
import { octoPrintError } from './errors.js'
import { filesRoutes } from './files-routes.js'
import { KeptFiles } from './kept-files.js'
import { LastJobs } from './last-jobs.js'
import { PrintSubmitter } from './print-submit.js'
import { statusRoutes } from './status-routes.js'
import { uploadRoute } from './upload-route.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { MethodTable } from '../../api/method-table.js'
import type { TokenStore } from '../../api/token-store.js'
import type { KeyDefaults } from './config.js'

const log = logger('meshnode:octoprint')

/** JSON bodies (a file command) are small; files come as multipart, streamed. */
const MAX_JSON_BODY_BYTES = 16 * 1024

export interface OctoPrintGatewayInit {
  /** HOST:PORT */
  listen: string
  dataDir: string
  /** Each key's defaults by token name, read at each request so a config reload applies to the next upload. */
  keys: () => Record<string, KeyDefaults>
  methods: MethodTable
  tokens: Pick<TokenStore, 'verify'>
  blobStore: Pick<BlobStore, 'write' | 'has' | 'maxBlobBytes'>
}

export class OctoPrintListenError extends Error {
  constructor (address: string, why: string) {
    super(`cannot serve the OctoPrint gateway on ${address}: ${why}; choose another with --octoprint (or "gateways": { "octoprint": { "listen" } } in the config), or --octoprint off`)
    this.name = 'OctoPrintListenError'
  }
}

/**
 * OctoPrint's API as slicers and phone apps call it, on a listener of its own: each request is authenticated by
 * its API key (a meshnode token), then served by the node's methods and blob store, with the key as the caller.
 * Every other path answers OctoPrint's 404.
 */
export class OctoPrintGateway {
  private readonly app: FastifyInstance
  private readonly init: OctoPrintGatewayInit
  url = ''

  constructor (init: OctoPrintGatewayInit) {
    this.init = init
    this.app = Fastify({ bodyLimit: MAX_JSON_BODY_BYTES, forceCloseConnections: true, return503OnClosing: true })
  }

  async start (): Promise<string> {
    const { host, port } = parseHttpListen(this.init.listen)
    await this.build()
    try {
      await this.app.listen({ host, port })
    } catch (err: any) {
      await this.app.close()
      throw new OctoPrintListenError(this.init.listen, LISTEN_REASONS[err.code] ?? err.message)
    }
    const bound = this.app.server.address()
    this.url = formatHttpUrl({ host, port: typeof bound === 'object' && bound != null ? bound.port : port })
    log('OctoPrint gateway on %s', this.url)
    return this.url
  }

  async stop (): Promise<void> {
    await this.app.close()
  }

  private async build (): Promise<void> {
    const { app, init } = this
    const dir = join(init.dataDir, 'octoprint')
    const kept = await KeptFiles.open(dir)
    const lastJobs = await LastJobs.open(dir)
    const submitter = new PrintSubmitter(init.methods, lastJobs)
    app.setErrorHandler((err, _request, reply) => {
      const { status, body } = octoPrintError(err)
      if (status >= 500) log.error('OctoPrint request failed %e', err)
      return reply.code(status).send(body)
    })
    app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `Not Found: this OctoPrint gateway has no ${request.method} ${request.url.split('?')[0].slice(0, 200)}` }))
    app.addHook('onRequest', async (request) => {
      request.octoprintKey = authenticateKey(request, init.tokens, init.keys)
    })
    await app.register(multipart)
    const routes = { methods: init.methods, blobStore: init.blobStore, kept, lastJobs, submitter, url: () => this.url }
    statusRoutes(app, routes)
    uploadRoute(app, routes)
    filesRoutes(app, routes)
  }
}
