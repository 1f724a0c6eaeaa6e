import { chmod, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
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

/** A file a pushed service brings: a blob held by the peer the admin pushed from. */
export interface ServiceFile { name: string, hash: string, size: number, holder: string }

/** The body of a `service` document: a service definition whose `command` names one of its files. */
export interface ServiceBody { service: Record<string, unknown>, files: ServiceFile[] }

interface Held { revision: number, service: ServiceConfig }

/**
 * Services admins pushed to this node: each one's files are pulled as blobs (their hashes checked by the blob
 * store) into a folder of their own, and the service runs beside the node's own. A node runs no service but
 * those of its config and of trusted admins' documents.
 */
export class AdminServices {
  private readonly db: MeshDb
  private readonly audit: AuditLog
  private readonly blobs: Pick<BlobService, 'fetch'>
  private readonly blobStore: Pick<BlobStore, 'exportTo'>
  private readonly init: { layers: ConfigLayers, reload(config: NodeConfig): Promise<void>, dataDir: string }
  private held: Record<string, Held> = {}

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

  names (): string[] {
    return Object.keys(this.held).sort()
  }

  /** A service document meant for this node, just accepted. */
  async offer (doc: OpenedDocument): Promise<void> {
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from: 'self' }
    let body: ServiceBody
    try {
      body = checkServiceBody(doc.body)
    } catch (err: any) {
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
      return
    }
    const name = String(body.service.name)
    const before = this.held[name]
    if (before != null && before.revision >= doc.revision) {
      await this.audit.append({ ...about, decision: 'refused', reason: `revision ${doc.revision} is not newer than service ${name}'s revision ${before.revision} here` })
      return
    }
    const dir = join(this.init.dataDir, 'admin-services', `${name}-${doc.revision}`)
    try {
      const service = await this.install(body, dir)
      const services = [...this.services().filter(s => s.name !== name), service]
      await this.init.reload(this.init.layers.withServices(services))
      this.init.layers.adoptServices(services)
      this.held = { ...this.held, [name]: { revision: doc.revision, service } }
      await this.db.put(STATE_KEY, this.held)
      await this.audit.append({ ...about, decision: 'applied' })
      if (before != null) await rm(join(this.init.dataDir, 'admin-services', `${name}-${before.revision}`), { recursive: true, force: true })
    } catch (err: any) {
      await rm(dir, { recursive: true, force: true })
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
    }
  }

  private services (): ServiceConfig[] {
    return Object.values(this.held).map(h => h.service)
  }

  private async install (body: ServiceBody, dir: string): Promise<ServiceConfig> {
    const command = String(body.service.command)
    if (!body.files.some(f => f.name === command)) throw new Error(`service.command "${command.slice(0, 100)}" is none of the pushed files`)
    const service = parseServiceConfig({ ...body.service, command: join(dir, command) }, 'service')
    await mkdir(dir, { recursive: true })
    for (const file of body.files) {
      await this.blobs.fetch(peerIdFromString(file.holder), file.hash, { expectedSize: file.size })
      await this.blobStore.exportTo(file.hash, join(dir, file.name))
    }
    await chmod(join(dir, command), 0o755)
    return service
  }
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
