import { formatHttpUrl, parseHttpListen } from '../../config/listen-address.js'
import type { FastifyInstance } from 'fastify'

/** Why a listen failed, in words, by the system's error code. */
export const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another program, or another meshnode, listens on it)',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'not allowed (ports below 1024 need privileges)'
}

/**
 * One HTTP server (a Fastify app) on a HOST:PORT, which can move: the app for the new address is built and
 * listening before the old one closes, so a move that fails leaves the old address served.
 */
export class HttpListener {
  private app?: FastifyInstance
  private readonly build: (listen: string) => Promise<FastifyInstance>
  private readonly failure: (listen: string, why: string) => Error
  /** Where it listens: http://HOST:PORT, the port as bound; '' while closed. */
  url = ''

  /** `build` makes a new app with its routes for an address; `failure` is the error a refused listen throws. */
  constructor (build: (listen: string) => Promise<FastifyInstance>, failure: (listen: string, why: string) => Error) {
    this.build = build
    this.failure = failure
  }

  /** Listens on `listen`, then closes the app that listened before (if any). Throws, changing nothing, if it cannot. */
  async open (listen: string): Promise<string> {
    const { host, port } = parseHttpListen(listen)
    const app = await this.build(listen)
    try {
      await app.listen({ host, port })
    } catch (err: any) {
      await app.close()
      throw this.failure(listen, LISTEN_REASONS[err.code] ?? err.message)
    }
    const previous = this.app
    this.app = app
    const bound = app.server.address()
    this.url = formatHttpUrl({ host, port: typeof bound === 'object' && bound != null ? bound.port : port })
    await previous?.close()
    return this.url
  }

  async close (): Promise<void> {
    const app = this.app
    this.app = undefined
    this.url = ''
    await app?.close()
  }
}
