import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { logger } from '@libp2p/logger'
import { HttpListener } from '../../api/http/http-listener.js'
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
import type { KeyDefaults } from '../../config/octoprint-config.js'

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
  private readonly init: OctoPrintGatewayInit
  private readonly listener = new HttpListener(async () => this.build(), (listen, why) => new OctoPrintListenError(listen, why))
  /** Opened once, at start: a move builds a new app on the same files. */
  private files?: { kept: KeptFiles, lastJobs: LastJobs, submitter: PrintSubmitter }

  constructor (init: OctoPrintGatewayInit) {
    this.init = init
  }

  /** http://HOST:PORT where it listens now. */
  get url (): string {
    return this.listener.url
  }

  async start (): Promise<string> {
    const dir = join(this.init.dataDir, 'octoprint')
    const lastJobs = await LastJobs.open(dir)
    this.files = { kept: await KeptFiles.open(dir), lastJobs, submitter: new PrintSubmitter(this.init.methods, lastJobs) }
    return await this.moveTo(this.init.listen)
  }

  /** Listens on `listen` instead; if it cannot, it stays where it was and says why. */
  async moveTo (listen: string): Promise<string> {
    const url = await this.listener.open(listen)
    log('OctoPrint gateway on %s', url)
    return url
  }

  async stop (): Promise<void> {
    await this.listener.close()
  }

  private async build (): Promise<FastifyInstance> {
    const { init } = this
    const { kept, lastJobs, submitter } = this.files as NonNullable<OctoPrintGateway['files']>
    const app = Fastify({ bodyLimit: MAX_JSON_BODY_BYTES, forceCloseConnections: true, return503OnClosing: true })
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
    return app
  }
}
