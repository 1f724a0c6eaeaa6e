import { chmod, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { parseServiceConfig, type ServiceConfig } from '../config/service-config.js'
import type { OpenedDocument } from './admin-document.js'
import type { AuditLog } from './audit-log.js'
import type { ConfigLayers } from './config-layers.js'
import type { BlobService, BlobStore } from '../blobs/index.js'
import type { NodeConfig } from '../config/node-config.js'
import type { MeshDb } from '../store/open-db.js'

const STATE_KEY = 'admin:services'
const MAX_FILES = 16
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const HASH = /^[0-9a-f]{64}$/
/** Tries at fetching a service's files before it is rejected, and the wait after the first failure, doubling. */
export const FETCH_ATTEMPTS = 5
const FIRST_RETRY_MS = 1000
const MAX_RETRY_MS = 30_000
/** Outcomes a node reports: the newest documents, each with a short reason, keep the report small. */
const MAX_OUTCOMES = 16
const MAX_REASON_CHARS = 200

/** A file a pushed service brings: a blob held by the peer the admin pushed from. */
export interface ServiceFile { name: string, hash: string, size: number, holder: string }

/** The body of a `service` document: a service definition whose `command` names one of its files. */
export interface ServiceBody { service: Record<string, unknown>, files: ServiceFile[] }

interface Held { revision: number, service: ServiceConfig }

/** What became of the newest service document taken for one service: it goes out in the node's report. */
export interface ServiceOutcome { name: string, revision: number, outcome: 'installed' | 'rejected' | 'fetching', reason: string }

/**
 * Services admins pushed to this node: each one's files are pulled as blobs (their hashes checked by the blob
 * store) into a folder of their own, and the service runs beside the node's own. A node runs no service but
 * those of its config and of trusted admins' documents. A fetch that fails (the holder away, the file not there
 * yet) is tried again a few times, waiting longer each time, before the document is rejected; a newer revision
 * of the service replaces one still being fetched.
 */
export class AdminServices {
  private readonly db: MeshDb
  private readonly audit: AuditLog
  private readonly blobs: Pick<BlobService, 'fetch'>
  private readonly blobStore: Pick<BlobStore, 'exportTo'>
  private readonly init: { layers: ConfigLayers, reload(config: NodeConfig): Promise<void>, dataDir: string, changed(): void }
  private held: Record<string, Held> = {}
  private readonly outcomes = new Map<string, ServiceOutcome>()
  /** Service name -> the revision whose files are being fetched, and how to give it up. */
  private readonly pulls = new Map<string, { revision: number, stop: AbortController }>()
  /** One install at a time: each builds the next service list from the one before. */
  private installing: Promise<unknown> = Promise.resolve()

  constructor (components: { db: MeshDb, audit: AuditLog, blobs: Pick<BlobService, 'fetch'>, blobStore: Pick<BlobStore, 'exportTo'> }, init: AdminServices['init']) {
    this.db = components.db
    this.audit = components.audit
    this.blobs = components.blobs
    this.blobStore = components.blobStore
    this.init = init
  }

  /** After a restart, the pushed services run again. */
  async start (): Promise<void> {
    this.held = await this.db.get(STATE_KEY) ?? {}
    if (Object.keys(this.held).length === 0) return
    const services = this.services()
    await this.init.reload(this.init.layers.withServices(services))
    this.init.layers.adoptServices(services)
  }

  /** Gives up the fetches under way; their documents are held, and a later revision starts again. */
  stop (): void {
    for (const pull of this.pulls.values()) pull.stop.abort()
  }

  names (): string[] {
    return Object.keys(this.held).sort()
  }

  /** The newest documents taken, oldest first. */
  reported (): ServiceOutcome[] {
    return [...this.outcomes.values()]
  }

  /**
   * A service document meant for this node, just accepted: checked now, its files fetched and the service
   * installed after (the inbox does not wait for a fetch).
   */
  async offer (doc: OpenedDocument): Promise<void> {
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from: 'self' }
    let body: ServiceBody
    try {
      body = checkServiceBody(doc.body)
    } catch (err: any) {
      // openDocument made sure a service document names its service.
      this.record({ name: String((doc.body as { service: { name: string } }).service.name), revision: doc.revision, outcome: 'rejected', reason: err.message })
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
      return
    }
    const name = String(body.service.name)
    const newest = Math.max(this.held[name]?.revision ?? 0, this.pulls.get(name)?.revision ?? 0)
    if (newest >= doc.revision) {
      await this.audit.append({ ...about, decision: 'refused', reason: `revision ${doc.revision} is not newer than service ${name}'s revision ${newest} here` })
      return
    }
    this.pulls.get(name)?.stop.abort()
    const pull = { revision: doc.revision, stop: new AbortController() }
    this.pulls.set(name, pull)
    this.record({ name, revision: doc.revision, outcome: 'fetching', reason: '' })
    this.pull(body, about, pull.stop.signal)
      .finally(() => { if (this.pulls.get(name) === pull) this.pulls.delete(name) })
      .catch(() => {})
  }

  private async pull (body: ServiceBody, about: { key: string, revision: number, admin: string, from: string }, signal: AbortSignal): Promise<void> {
    const name = String(body.service.name)
    const dir = join(this.init.dataDir, 'admin-services', `${name}-${about.revision}`)
    try {
      const service = definition(body, dir)
      await this.fetchFiles(body, name, about.revision, signal)
      const install = this.installing.then(async () => {
        signal.throwIfAborted()
        await this.install(body, service, about.revision, dir)
      })
      this.installing = install.catch(() => {})
      await install
      this.record({ name, revision: about.revision, outcome: 'installed', reason: '' })
      await this.audit.append({ ...about, decision: 'applied' })
    } catch (err: any) {
      // Replaced by a newer revision, or the node is stopping: that one (or the next start) says what happened.
      if (signal.aborted) return
      await rm(dir, { recursive: true, force: true })
      this.record({ name, revision: about.revision, outcome: 'rejected', reason: err.message })
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
    }
  }

  /** Every file into the blob store; a failed round is tried again after a wait that doubles, a few times. */
  private async fetchFiles (body: ServiceBody, name: string, revision: number, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        for (const file of body.files) await this.blobs.fetch(peerIdFromString(file.holder), file.hash, { expectedSize: file.size, signal })
        return
      } catch (err: any) {
        signal.throwIfAborted()
        if (attempt >= FETCH_ATTEMPTS) throw new Error(`fetching the files failed ${attempt} times, the last: ${String(err.message)}`)
        const waitMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1))
        this.record({ name, revision, outcome: 'fetching', reason: `try ${attempt} of ${FETCH_ATTEMPTS} failed (${String(err.message)}); again in ${waitMs / 1000} s` })
        await sleep(waitMs, undefined, { signal })
      }
    }
  }

  private async install (body: ServiceBody, service: ServiceConfig, revision: number, dir: string): Promise<void> {
    const name = service.name
    const before = this.held[name]
    await mkdir(dir, { recursive: true })
    for (const file of body.files) await this.blobStore.exportTo(file.hash, join(dir, file.name))
    await chmod(service.command, 0o755)
    const services = [...this.services().filter(s => s.name !== name), service]
    await this.init.reload(this.init.layers.withServices(services))
    this.init.layers.adoptServices(services)
    this.held = { ...this.held, [name]: { revision, service } }
    await this.db.put(STATE_KEY, this.held)
    if (before != null) await rm(join(this.init.dataDir, 'admin-services', `${name}-${before.revision}`), { recursive: true, force: true })
  }

  /** The newest outcome per service, the oldest dropped past the limit; the mesh hears of it at once. */
  private record (outcome: ServiceOutcome): void {
    this.outcomes.delete(outcome.name)
    this.outcomes.set(outcome.name, { ...outcome, name: outcome.name.slice(0, 40), reason: outcome.reason.slice(0, MAX_REASON_CHARS) })
    if (this.outcomes.size > MAX_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value as string)
    this.init.changed()
  }

  private services (): ServiceConfig[] {
    return Object.values(this.held).map(h => h.service)
  }
}

/** The service as it will run from `dir`, checked before any file is fetched; the message names the bad field. */
function definition (body: ServiceBody, dir: string): ServiceConfig {
  const command = String(body.service.command)
  if (!body.files.some(f => f.name === command)) throw new Error(`service.command "${command.slice(0, 100)}" is none of the pushed files`)
  return parseServiceConfig({ ...body.service, command: join(dir, command) }, 'service')
}

/** Checks a service document's body before anything is fetched; the message names the bad field. */
export function checkServiceBody (body: unknown): ServiceBody {
  const obj = body as Partial<ServiceBody> | null
  if (obj?.service == null || typeof obj.service !== 'object' || typeof obj.service.name !== 'string') throw new Error('service: a service document needs a service with a name')
  if (!Array.isArray(obj.files) || obj.files.length === 0 || obj.files.length > MAX_FILES) throw new Error(`files: a service brings 1 to ${MAX_FILES} files`)
  obj.files.forEach((file, i) => {
    if (typeof file?.name !== 'string' || !FILE_NAME.test(file.name)) throw new Error(`files[${i}].name: a plain file name (letters, digits, ".", "_", "-")`)
    if (typeof file.hash !== 'string' || !HASH.test(file.hash)) throw new Error(`files[${i}].hash: a sha256 in hex`)
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new Error(`files[${i}].size: a whole number of bytes`)
    if (typeof file.holder !== 'string') throw new Error(`files[${i}].holder: a peer id`)
    try {
      peerIdFromString(file.holder)
    } catch {
      throw new Error(`files[${i}].holder: a peer id`)
    }
  })
  return obj as ServiceBody
}
