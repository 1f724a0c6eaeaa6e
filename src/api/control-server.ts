import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { OWNER } from './caller.js'
import { SOCKET_FILE, TOKEN_FILE } from './constants.js'
import { onJsonLines } from './line-reader.js'
import type { MethodTable } from './method-table.js'

const log = logger('meshnode:api')

/** A connection must present its token this soon or be closed. */
const AUTH_TIMEOUT_MS = 5000

/**
 * The daemon's local control channel: a unix socket in the data dir (mode 0600, in a 0700 dir), and a token
 * file only the owner can read that every connection must present first. Nothing on the LAN can reach it.
 * One transport of the method table: every call on it is the owner's.
 */
export class ControlServer {
  private readonly dataDir: string
  private readonly methods: MethodTable
  private server?: Server
  private token = Buffer.alloc(0)
  private readonly sockets = new Set<Socket>()

  constructor (dataDir: string, methods: MethodTable) {
    this.dataDir = dataDir
    this.methods = methods
  }

  async start (): Promise<void> {
    const socketPath = join(this.dataDir, SOCKET_FILE)
    // The data dir is locked by this daemon, so a socket file left there is from one that died.
    await rm(socketPath, { force: true })
    this.token = randomBytes(32)
    await writeFile(join(this.dataDir, TOKEN_FILE), this.token.toString('hex'), { mode: 0o600 })
    this.server = createServer(socket => { this.accept(socket) })
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject)
      this.server?.listen(socketPath, () => { resolve() })
    })
    await chmod(socketPath, 0o600)
  }

  async stop (): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>(resolve => { this.server?.close(() => { resolve() }) ?? resolve() })
    await rm(join(this.dataDir, SOCKET_FILE), { force: true })
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    const closed = new AbortController()
    socket.on('close', () => { this.sockets.delete(socket); closed.abort() })
    socket.on('error', () => {})
    let authenticated = false
    let refused = false
    const unauthenticated = setTimeout(() => { if (!authenticated) socket.destroy() }, AUTH_TIMEOUT_MS)
    socket.on('close', () => { clearTimeout(unauthenticated) })
    const send = (message: unknown): void => { if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n') }
    onJsonLines(socket, (message) => {
      if (refused) return
      if (!authenticated) {
        authenticated = this.checkToken(message?.token)
        refused = !authenticated
        send(authenticated ? { ok: true } : { error: { name: 'UnauthorizedError', message: 'the control token is missing or wrong' } })
        if (refused) socket.destroySoon()
        return
      }
      const { id, method, params } = message ?? {}
      this.methods.call(String(method), params ?? {}, { emit: (event) => { send({ id, event }) }, signal: closed.signal, caller: OWNER }).then(
        result => { send({ id, result: result ?? null }) },
        (err: Error) => {
          log('%s failed %e', method, err)
          send({ id, error: { name: err.name, message: err.message } })
        }
      )
    }, (err) => {
      send({ error: { name: err.name, message: err.message } })
      socket.destroy()
    })
  }

  private checkToken (token: unknown): boolean {
    if (typeof token !== 'string') return false
    // Buffer.from stops at the first non-hex character, so compare lengths after decoding, not before.
    const presented = Buffer.from(token, 'hex')
    return presented.length === this.token.length && token.length === presented.length * 2 && timingSafeEqual(presented, this.token)
  }
}
