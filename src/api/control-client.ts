import { readFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { SOCKET_FILE, TOKEN_FILE } from './constants.js'
import { onJsonLines } from './line-reader.js'

export class NoDaemonError extends Error {
  readonly dataDir: string

  constructor (dataDir: string) {
    super(`no meshnode is running on data dir ${dataDir}`)
    this.name = 'NoDaemonError'
    this.dataDir = dataDir
  }
}

/** An error the daemon reported, keeping the daemon's own error name. */
export class RemoteError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

/** The connection broke before the answer came: the call may or may not have run. */
export class ConnectionLostError extends Error {
  constructor () {
    super('the daemon closed the control connection')
    this.name = 'ConnectionLostError'
  }
}

interface Pending {
  resolve(value: any): void
  reject(err: Error): void
  onEvent?(event: any): void
}

/** The CLI's side of the control channel. */
export class ControlClient {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Set once the connection is gone: later calls fail at once instead of waiting for an answer forever. */
  private closedWith?: Error

  private constructor (socket: Socket) {
    this.socket = socket
  }

  static async connect (dataDir: string): Promise<ControlClient> {
    let token: string
    try {
      token = await readFile(join(dataDir, TOKEN_FILE), 'utf8')
    } catch {
      throw new NoDaemonError(dataDir)
    }
    const socket = connect(join(dataDir, SOCKET_FILE))
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', () => { reject(new NoDaemonError(dataDir)) })
    })
    const client = new ControlClient(socket)
    await client.authenticate(token)
    return client
  }

  async call<T = any> (method: string, params: unknown = {}, onEvent?: (event: any) => void): Promise<T> {
    if (this.closedWith != null) throw this.closedWith
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent })
      this.socket.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  close (): void {
    this.socket.end()
    this.socket.destroy()
  }

  private async authenticate (token: string): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve, reject })
    })
    onJsonLines(this.socket, (message) => { this.receive(message) }, (err) => { this.failAll(err) })
    // A broken connection also closes, and the close fails every call waiting on it.
    this.socket.on('error', () => {})
    this.socket.on('close', () => { this.failAll(new ConnectionLostError()) })
    this.socket.write(JSON.stringify({ token: token.trim() }) + '\n')
    await ready
  }

  private receive (message: any): void {
    const id = message.id ?? 0
    const pending = this.pending.get(id)
    if (pending == null) return
    if (message.event !== undefined) {
      pending.onEvent?.(message.event)
      return
    }
    this.pending.delete(id)
    if (message.error != null) pending.reject(new RemoteError(message.error.name, message.error.message))
    else pending.resolve(message.result)
  }

  private failAll (err: Error): void {
    this.closedWith ??= err
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
  }
}
