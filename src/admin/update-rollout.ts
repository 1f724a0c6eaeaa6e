import { realpathSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { openDocument, targets, type OpenedDocument } from './admin-document.js'
import { REPORT_INTERVAL_MS } from './constants.js'
import { BadPackageError, installPackage, MAX_PACKAGE_BYTES } from './update-package.js'
import { UpdateSlot, VERSION, type Trial } from './update-slot.js'
import { turnOf, type UpdateState } from './update-turn.js'
import type { AuditLog } from './audit-log.js'
import type { DocumentStore } from './document-store.js'
import type { FleetEntry } from './fleet-reports.js'
import type { BlobService, BlobStore } from '../blobs/index.js'
import type { Refusal } from '../jobs/job.js'
import type { MeshDb } from '../store/open-db.js'

const log = logger('meshnode:admin-update')
const STATE_KEY = 'admin:update'
const POLL_MS = 500
const FETCH_RETRY_MS = 5000
const HASH = /^[0-9a-f]{64}$/
export const DEFAULT_PARALLEL = 2
export const DEFAULT_DEADLINE_SEC = 120
const MAX_PARALLEL = 64
const DEADLINE_SEC = { min: 10, max: 3600 }
/** A rollout this node is done with: it does not start it again after a restart. */
const FINISHED: readonly string[] = ['updated', 'rolled-back', 'halted', 'failed']

/** The body of an `update` document: the package (a blob), the version it is, and how to roll it out. */
export interface UpdateBody {
  package: { hash: string, size: number, holder: string }
  version: string
  rollout: { parallel: number, deadlineSec: number }
}

/** This node's part in the newest rollout meant for it. */
export interface NodeUpdate { revision: number, version: string, state: UpdateState | '', reason: string }

export interface UpdateRolloutInit {
  /** The version running in this process. */
  version: string
  /** The folder of the running install: a package without its own node_modules uses its dependencies. */
  installRoot: string
  dataDir: string
  self(): { name: string, tags: readonly string[] }
  trusted(): readonly string[]
  fleet(): FleetEntry[]
  /** Whether a printer of this node is printing (or paused, or waiting for power mid-print). */
  printing(): boolean
  /** This node's state changed: tell the mesh. */
  changed(): void
  /** Restarts the node through `meshnode start` (which runs the slot's program); undefined where it cannot. */
  restart?: () => void
}

/**
 * Rolling updates: a package (a blob the document names by hash) is fetched and unpacked beside the running
 * version while the node waits its turn; on its turn the node records a trial in its slot and restarts into the
 * new version, which must come up healthy (it reached ready, and it hears a peer when it had peers) within the
 * document's deadline or the node goes back to the version before. Healthy is confirmed by the new process;
 * anything else (a crash, a hang, no peers) ends in a rollback.
 */
export class UpdateRollout {
  private readonly db: MeshDb
  private readonly audit: AuditLog
  private readonly store: DocumentStore
  private readonly blobs: Pick<BlobService, 'fetch'>
  private readonly blobStore: Pick<BlobStore, 'read'>
  private readonly init: UpdateRolloutInit
  private readonly slot: UpdateSlot
  private current?: AbortController
  private isReady = false
  private readonly stopping = new AbortController()
  state: NodeUpdate = { revision: 0, version: '', state: '', reason: '' }

  constructor (components: { db: MeshDb, audit: AuditLog, store: DocumentStore, blobs: Pick<BlobService, 'fetch'>, blobStore: Pick<BlobStore, 'read'> }, init: UpdateRolloutInit) {
    this.db = components.db
    this.audit = components.audit
    this.store = components.store
    this.blobs = components.blobs
    this.blobStore = components.blobStore
    this.init = init
    this.slot = new UpdateSlot(init.dataDir)
  }

  /** After a (re)start: logs how a trial ended, watches the one this process is, or goes on with a rollout under way. */
  async start (): Promise<void> {
    this.state = await this.db.get(STATE_KEY) ?? this.state
    const slot = await this.slot.read()
    const outcome = slot.outcome
    if (outcome != null && !outcome.logged) {
      // The launcher rolled back a version that crashed; only now is there a log to say so.
      await this.slot.write({ ...slot, outcome: { ...outcome, logged: true } })
      await this.audit.append({ key: `update:${outcome.version}`, revision: outcome.revision, from: 'self', decision: 'rejected', reason: `rolled back: ${outcome.reason}` })
      await this.setState({ revision: outcome.revision, version: outcome.version, state: 'rolled-back', reason: outcome.reason })
    }
    if (slot.trial != null && slot.trial.startedAt > 0 && slot.trial.version === this.init.version) {
      await this.setState({ revision: slot.trial.revision, version: slot.trial.version, state: 'trying', reason: '' })
      this.watchTrial(slot.trial).catch(err => { log.error('watching the trial failed %e', err) })
      return
    }
    const held = this.held()
    if (held != null && held.revision >= this.state.revision) await this.offer(held)
  }

  stop (): void {
    this.stopping.abort()
    this.current?.abort()
  }

  /** The node is up: its store, mesh, admin room and API are open. */
  ready (): void {
    this.isReady = true
  }

  /** A semantic bid strategy: a printer about to update finishes its print and takes no next one. */
  readonly refusal = (): Refusal | null => this.state.state === 'waiting-for-print' || this.state.state === 'restarting'
    ? { reason: `is updating to ${this.state.version} once its print ends`, busy: true }
    : null

  /** An update document meant for this node, just accepted (or held from before a restart). */
  async offer (doc: OpenedDocument): Promise<void> {
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from: 'self' }
    if (doc.revision === this.state.revision && FINISHED.includes(this.state.state)) return
    if (doc.revision < this.state.revision) {
      await this.audit.append({ ...about, decision: 'refused', reason: `revision ${doc.revision} is older than the update revision ${this.state.revision} this node took` })
      return
    }
    let body: UpdateBody
    try {
      body = checkUpdateBody(doc.body)
    } catch (err: any) {
      await this.audit.append({ ...about, decision: 'rejected', reason: err.message })
      return
    }
    if (body.version === this.init.version) {
      await this.setState({ revision: doc.revision, version: body.version, state: 'updated', reason: `already runs ${body.version}` })
      await this.audit.append({ ...about, decision: 'applied', reason: `already runs ${body.version}` })
      return
    }
    this.current?.abort()
    const rollout = new AbortController()
    this.current = rollout
    const signal = AbortSignal.any([rollout.signal, this.stopping.signal])
    this.roll(doc, body, signal).catch(async (err: any) => {
      if (signal.aborted) return
      const reason = err instanceof BadPackageError ? `a bad package: ${err.message}` : String(err.message)
      await this.setState({ revision: doc.revision, version: body.version, state: 'failed', reason })
      await this.audit.append({ ...about, decision: 'rejected', reason })
    }).catch(err => { log.error('the update failed %e', err) })
  }

  private async roll (doc: OpenedDocument, body: UpdateBody, signal: AbortSignal): Promise<void> {
    const about = { key: doc.key, revision: doc.revision, admin: doc.admin, from: 'self' }
    const state = async (next: UpdateState, reason = ''): Promise<void> => {
      if (this.state.state !== next || this.state.reason !== reason) await this.setState({ revision: doc.revision, version: body.version, state: next, reason })
    }
    await state('fetching')
    await this.fetch(doc, body, signal, state)
    await installPackage(this.blobStore.read(body.package.hash), this.slot.versionDir(body.version), body.version, this.init.installRoot)
    await state('waiting')
    // Each peer's report heard once before choosing, so that two nodes do not both think they are next.
    await sleep(REPORT_INTERVAL_MS, undefined, { signal })
    for (;;) {
      signal.throwIfAborted()
      if (this.init.printing()) {
        await state('waiting-for-print', 'a print is under way; this node updates when it ends')
      } else {
        const turn = turnOf({ revision: doc.revision, target: doc.target, parallel: body.rollout.parallel }, this.init.fleet())
        if ('halt' in turn) {
          await state('halted', turn.halt)
          await this.audit.append({ ...about, decision: 'rejected', reason: `the rollout stopped: ${turn.halt}` })
          return
        }
        if (turn.go) break
        await state('waiting', turn.why)
      }
      await sleep(POLL_MS, undefined, { signal })
    }
    if (this.init.restart == null) throw new Error('this node cannot restart itself (it was not started by "meshnode start")')
    const slot = await this.slot.read()
    const peersBefore = this.init.fleet().filter(e => !e.self && Date.now() - e.heardAt < 3 * REPORT_INTERVAL_MS).length
    // The program started as now is the one to go back to, unless it is itself an update.
    const installed = slot.installed ?? realpathSync(process.argv[1])
    await this.slot.write({ ...slot, installed, trial: { version: body.version, revision: doc.revision, previous: slot.running, deadlineMs: body.rollout.deadlineSec * 1000, startedAt: 0, peersBefore }, outcome: undefined })
    await state('restarting')
    await this.audit.append({ ...about, decision: 'applied', reason: `restarting into ${body.version} (from ${this.init.version})` })
    this.init.restart()
  }

  private async fetch (doc: OpenedDocument, body: UpdateBody, signal: AbortSignal, state: (next: UpdateState, reason?: string) => Promise<void>): Promise<void> {
    for (;;) {
      try {
        await this.blobs.fetch(peerIdFromString(body.package.holder), body.package.hash, { expectedSize: body.package.size, signal })
        return
      } catch (err: any) {
        // The holder may be away for a while; the document says how long the rollout may take.
        if (signal.aborted || Date.now() + FETCH_RETRY_MS > doc.expiresAt) throw err
        await state('fetching', `cannot fetch the package from ${body.package.holder}: ${String(err.message)}; trying again`)
        await sleep(FETCH_RETRY_MS, undefined, { signal })
      }
    }
  }

  /** In the new version's process: confirms it once healthy, or rolls back at the deadline. */
  private async watchTrial (trial: Trial): Promise<void> {
    const deadline = trial.startedAt + trial.deadlineMs
    const heardPeer = (): boolean => trial.peersBefore === 0 || this.init.fleet().some(e => !e.self)
    while (Date.now() < deadline) {
      if (this.isReady && heardPeer()) return this.confirm(trial)
      await sleep(POLL_MS, undefined, { signal: this.stopping.signal })
    }
    const missing = !this.isReady ? 'it did not reach ready' : `it heard none of the ${trial.peersBefore} peers it had before`
    await this.rollBack(trial, `version ${trial.version} was not healthy within ${Math.round(trial.deadlineMs / 1000)} s: ${missing}`)
  }

  private async confirm (trial: Trial): Promise<void> {
    const slot = await this.slot.read()
    const reason = `healthy ${((Date.now() - trial.startedAt) / 1000).toFixed(1)} s after it started`
    await this.slot.write({ ...slot, running: trial.version, trial: undefined, outcome: { revision: trial.revision, version: trial.version, state: 'updated', reason, logged: true } })
    await this.setState({ revision: trial.revision, version: trial.version, state: 'updated', reason })
    await this.slot.prune([trial.version, trial.previous])
    await this.audit.append({ key: `update:${trial.version}`, revision: trial.revision, from: 'self', decision: 'applied', reason: `updated to ${trial.version} from ${trial.previous ?? 'the installed version'}: ${reason}` })
  }

  private async rollBack (trial: Trial, reason: string): Promise<void> {
    const slot = await this.slot.read()
    // The program started as now is the one to go back to, unless it is itself an update.
    const installed = slot.installed ?? realpathSync(process.argv[1])
    await this.slot.write({ ...slot, installed, trial: undefined, outcome: { revision: trial.revision, version: trial.version, state: 'rolled-back', reason, logged: true } })
    await this.setState({ revision: trial.revision, version: trial.version, state: 'rolled-back', reason })
    await this.audit.append({ key: `update:${trial.version}`, revision: trial.revision, from: 'self', decision: 'rejected', reason: `rolled back: ${reason}` })
    this.init.restart?.()
  }

  private async setState (next: NodeUpdate): Promise<void> {
    this.state = next
    await this.db.put(STATE_KEY, next)
    this.init.changed()
  }

  /** The newest update document held for this node. */
  private held (): OpenedDocument | undefined {
    const self = this.init.self()
    let newest: OpenedDocument | undefined
    for (const held of this.store.all()) {
      if (!held.key.startsWith('update:')) continue
      try {
        const doc = openDocument(Buffer.from(held.signed, 'base64'), this.init.trusted())
        if (targets(doc.target, self) && doc.revision > (newest?.revision ?? 0)) newest = doc
      } catch {
        // a key no longer trusted, or expired since
      }
    }
    return newest
  }
}

/** Checks an update document's body before anything is fetched; the message names the bad field. */
export function checkUpdateBody (body: unknown): UpdateBody {
  const obj = body as Partial<UpdateBody> | null
  const pkg = obj?.package
  if (pkg == null || typeof pkg !== 'object') throw new Error('package: an update names its package')
  if (typeof pkg.hash !== 'string' || !HASH.test(pkg.hash)) throw new Error('package.hash: a sha256 in hex')
  if (!Number.isSafeInteger(pkg.size) || pkg.size <= 0 || pkg.size > MAX_PACKAGE_BYTES) throw new Error(`package.size: 1 to ${MAX_PACKAGE_BYTES} bytes`)
  try {
    peerIdFromString(String(pkg.holder))
  } catch {
    throw new Error('package.holder: a peer id')
  }
  if (typeof obj?.version !== 'string' || !VERSION.test(obj.version)) throw new Error('version: a version such as 1.2.3')
  const rollout = obj.rollout
  if (!Number.isSafeInteger(rollout?.parallel) || (rollout?.parallel as number) < 1 || (rollout?.parallel as number) > MAX_PARALLEL) throw new Error(`rollout.parallel: 1 to ${MAX_PARALLEL} nodes at a time`)
  if (!Number.isSafeInteger(rollout?.deadlineSec) || (rollout?.deadlineSec as number) < DEADLINE_SEC.min || (rollout?.deadlineSec as number) > DEADLINE_SEC.max) throw new Error(`rollout.deadlineSec: ${DEADLINE_SEC.min} to ${DEADLINE_SEC.max} seconds`)
  return obj as UpdateBody
}
