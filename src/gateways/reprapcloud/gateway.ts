import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import { Readable } from 'node:stream'
import { logger } from '@libp2p/logger'
import { HttpListener } from '../../api/http/http-listener.js'
import { isLoopback, parseHttpListen } from '../../config/listen-address.js'
import { metaRecord } from './meta.js'
import { admitRelayClient } from './relay-caller.js'
import { recordJson, recordsJson, recordsText, recordText, type FlatRecord } from './relay-format.js'
import { MAX_CONTENT_BYTES, readRelayRequest, RelayRequestError, type RelayRequest } from './relay-request.js'
import { RelayTasks, type RelayTasksInit } from './relay-tasks.js'
import { serviceList } from './services.js'
import { heldUntilEnded } from './sync-reply.js'
import { TASK_LIST_PAGE } from './task-list-page.js'
import { isTaskId, taskFields, type TaskRecord } from './task-record.js'
import { TaskStore } from './task-store.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { Caller } from '../../api/caller.js'
import type { TokenStore } from '../../api/token-store.js'
import type { MeshDb } from '../../store/open-db.js'

const log = logger('meshnode:reprapcloud')

declare module 'fastify' {
  interface FastifyRequest {
    relayCaller?: Caller
  }
}

export interface RepRapCloudGatewayInit extends Omit<RelayTasksInit, 'store' | 'blobStore' | 'caller'> {
  db: MeshDb
  tokens: TokenStore
  blobStore: Pick<BlobStore, 'write' | 'read' | 'openRead' | 'maxBlobBytes'>
}

export class RelayListenError extends Error {
  constructor (address: string, why: string) {
    super(`cannot serve the RepRapCloud gateway on ${address}: ${why}; choose another with --reprapcloud (or "gateways": { "reprapcloud": { "listen" } } in the config), or "off"`)
    this.name = 'RelayListenError'
  }
}

/** A relay client's whole form: its inputs as content, plus the other fields; past this Fastify answers 413. */
const MAX_FORM_BYTES = MAX_CONTENT_BYTES * 2

/**
 * The RepRapCloud 0.019 relay, served to its own clients unchanged: every request on `/` (GET query, urlencoded
 * or multipart POST), outputs under /tasks/out/ and logs under /tasks/log/. Each reply is 200 text/plain with
 * `Access-Control-Allow-Origin: *`, as the relay's were; a refusal is an `error: ...` record in the relay's shape.
 */
export class RepRapCloudGateway {
  private readonly init: RepRapCloudGatewayInit
  private readonly tasks: RelayTasks
  private readonly listener = new HttpListener(async listen => this.build(listen), (listen, why) => new RelayListenError(listen, why))

  constructor (init: RepRapCloudGatewayInit) {
    this.init = init
    this.tasks = new RelayTasks({ ...init, store: new TaskStore(init.db), caller: { kind: 'token', name: 'reprapcloud:gateway', scope: 'read' } })
  }

  /** http://HOST:PORT where it listens now. */
  get url (): string {
    return this.listener.url
  }

  async start (): Promise<string> {
    await this.tasks.start()
    try {
      return await this.moveTo(this.init.config().listen as string)
    } catch (err) {
      await this.tasks.stop()
      throw err
    }
  }

  /** Listens on `listen` instead; if it cannot, it stays where it was and says why. The tasks go on meanwhile. */
  async moveTo (listen: string): Promise<string> {
    if (!this.openToClients(listen) && this.init.tokens.size === 0) {
      throw new RelayListenError(listen, 'other machines can reach it, and this node has neither tokens nor "open": true for the gateway (relay clients send no token; see SECURITY.md)')
    }
    const url = await this.listener.open(listen)
    log('RepRapCloud gateway on %s', url)
    return url
  }

  async stop (): Promise<void> {
    await this.listener.close()
    await this.tasks.stop()
  }

  /** Relay clients send no token: on loopback, or when the config says "open", they need none. */
  private openToClients (listen: string): boolean {
    return isLoopback(parseHttpListen(listen).host) || this.init.config().open
  }

  private async build (listen: string): Promise<FastifyInstance> {
    const openToClients = this.openToClients(listen)
    const app = Fastify({ bodyLimit: MAX_FORM_BYTES, forceCloseConnections: true, return503OnClosing: true })
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    void app.register(multipart)
    app.addHook('onRequest', async (request, reply) => {
      const admission = admitRelayClient(request.headers, request.query, this.init.tokens, openToClients)
      if ('refusal' in admission) return relayReply(reply.code(401), errorRecord(admission.refusal), wantsJson(request))
      request.relayCaller = admission.caller
    })
    app.setErrorHandler((err: any, request, reply) => {
      const known = err instanceof RelayRequestError || (typeof err.statusCode === 'number' && err.statusCode < 500)
      if (!known) log.error('RepRapCloud request failed %e', err)
      const status = err instanceof RelayRequestError ? 200 : err.statusCode ?? 500
      return relayReply(reply.code(status), errorRecord(known ? err.message : `the request failed: ${String(err.message)}`), wantsJson(request))
    })
    app.setNotFoundHandler(async (request, reply) => relayReply(reply.code(404), errorRecord(`no such file: ${request.url.slice(0, 100)}`), false))
    for (const path of ['/', '/index.cgi']) {
      app.get(path, async (request, reply) => this.relayRequest(request, reply))
      app.post(path, async (request, reply) => this.relayRequest(request, reply))
    }
    app.get('/tasks/out/:name', async (request, reply) => this.output(request, reply))
    app.get('/tasks/log/:id', async (request, reply) => {
      const task = await this.tasks.task((request.params as { id: string }).id)
      if (task == null) return relayReply(reply.code(404), errorRecord('no such task'), false)
      return plain(reply).send(await this.tasks.logText(task))
    })
    return app
  }

  private async relayRequest (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const relay = await readRelayRequest(request, this.init.blobStore)
    const json = relay.fields.get('format') === 'json'
    const service = relay.fields.get('service') ?? ''
    const caller = request.relayCaller as Caller
    if (service === '' && !json && /Mozilla/.test(request.headers['user-agent'] ?? '')) {
      return reply.header('access-control-allow-origin', '*').type('text/html; charset=utf-8').send(TASK_LIST_PAGE)
    }
    switch (service) {
      case '':
      case 'info':
      case 'status': return this.info(relay, json, reply)
      case 'meta': return relayReply(reply, await this.meta(), json)
      case 'kill': return this.taskReply(reply, await this.tasks.kill(taskIdOf(relay), caller), json)
      default: {
        const task = await this.tasks.submit(relay, request.ip, caller)
        return this.taskReply(reply, await heldUntilEnded(this.tasks, task, this.init.config().timeoutSec, reply), json)
      }
    }
  }

  private async info (relay: RelayRequest, json: boolean, reply: FastifyReply): Promise<FastifyReply> {
    if (relay.fields.has('id')) return this.taskReply(reply, await this.tasks.task(taskIdOf(relay)), json)
    const records = (await this.tasks.list()).map(t => taskFields(t, process.pid))
    return plain(reply).send(json ? recordsJson(records) : recordsText(records))
  }

  private async meta (): Promise<FlatRecord> {
    const config = this.init.config()
    return metaRecord({
      serverName: this.init.serverName,
      services: serviceList(await this.tasks.services()),
      tasks: (await this.tasks.list()).length,
      maxDataRetentionHours: config.maxDataRetentionHours,
      timeoutSec: config.timeoutSec
    })
  }

  private taskReply (reply: FastifyReply, task: TaskRecord | undefined, json: boolean): FastifyReply {
    return relayReply(reply, task == null ? errorRecord('no such task') : taskFields(task, process.pid), json)
  }

  /** `/tasks/out/<id>[.<ext>]`: exactly the `out` a complete task names; anything else is not there. */
  private async output (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const name = (request.params as { name: string }).name
    const task = await this.tasks.task(name.replace(/\..*$/, ''))
    if (task?.outputHash == null || task.out !== `tasks/out/${name}`) return relayReply(reply.code(404), errorRecord(`no output tasks/out/${name.slice(0, 80)}`), false)
    const reader = await this.init.blobStore.openRead(task.outputHash)
    reply.raw.once('close', () => { reader.close() })
    return reply.header('access-control-allow-origin', '*').type('application/octet-stream').header('content-length', reader.size).send(Readable.from(reader.chunks, { objectMode: false }))
  }
}

function taskIdOf (relay: RelayRequest): string {
  const id = relay.fields.get('id') ?? ''
  if (!isTaskId(id)) throw new RelayRequestError('id', `id "${id.slice(0, 40)}" is not a task id (like 1361787155-77497-123456)`)
  return id
}

function errorRecord (message: string): FlatRecord {
  return { error: message }
}

function wantsJson (request: FastifyRequest): boolean {
  return (request.query as Record<string, unknown> | undefined)?.format === 'json'
}

function plain (reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*').type('text/plain; charset=utf-8')
}

function relayReply (reply: FastifyReply, record: FlatRecord, json: boolean): FastifyReply {
  return plain(reply).send(json ? recordJson(record) : recordText(record))
}
