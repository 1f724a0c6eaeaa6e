import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_DOCUMENT_BYTES, openDocument, RefusedDocumentError, type OpenedDocument } from './admin-document.js'
import { AdminInbox, type Taken } from './admin-inbox.js'
import { AdminServices } from './admin-services.js'
import { AdminSync } from './admin-sync.js'
import { CommandCaller } from './command-caller.js'
import { CommandDesk } from './command-desk.js'
import { AuditLog } from './audit-log.js'
import { ADMIN_GOSSIP_RATE, ADMIN_TOPIC, RESYNC_INTERVAL_MS } from './constants.js'
import { DesiredConfig } from './desired-config.js'
import { DocumentStore } from './document-store.js'
import { ADMIN_STATUS_TOPIC_RULE, FleetReports } from './fleet-reports.js'
import { UpdateRollout } from './update-rollout.js'
import { PrinterCommands } from './printer-commands.js'
import { isAdminKey } from '../config/admin-keys.js'
import { packageRoot } from '../paths.js'
import type { ConfigLayers } from './config-layers.js'
import type { DrainSwitch } from './drain-switch.js'
import type { BlobService, BlobStore } from '../blobs/index.js'
import type { NodeConfig } from '../config/node-config.js'
import type { PrintDesk } from '../printer/print-desk.js'
import type { MeshDb } from '../store/open-db.js'
import type { GossipGuard } from '../net/gossip-guard.js'
import type { MeshLibp2p } from '../net/libp2p.js'

const log = logger('meshnode:admin')

export interface AdminRoomInit {
  config(): NodeConfig
  layers: ConfigLayers
  /** Runs the node with a new config, as SIGHUP does. */
  reload(config: NodeConfig): Promise<void>
  version: string
  startedAt: number
  /** Fires with each meshnode peer that joins: the moment to sync documents with it. */
  peers: EventTarget & { peers(): Array<{ peerId: string }> }
  drain: DrainSwitch
  /** Restarts the node; undefined where it cannot restart itself. */
  restart?: () => void
  /** Whether a printer of this node is in the middle of a print: an update waits for it. */
  printing(): boolean
}

/**
 * The admin room of a node: documents arrive (gossip, sync, local API), are judged and logged, and those for
 * this node are applied; this node's admin state goes out as a report.
 */
export class AdminRoom {
  readonly audit: AuditLog
  readonly store: DocumentStore
  readonly desired: DesiredConfig
  readonly services: AdminServices
  readonly inbox: AdminInbox
  readonly sync: AdminSync
  readonly reports: FleetReports
  readonly desk: CommandDesk
  readonly commands: CommandCaller
  readonly update: UpdateRollout
  private readonly libp2p: MeshLibp2p
  private readonly guard: Pick<GossipGuard, 'guard'>
  private readonly blobStore: BlobStore
  private readonly init: AdminRoomInit
  private resync?: NodeJS.Timeout

  constructor (components: { libp2p: MeshLibp2p, guard: Pick<GossipGuard, 'guard'>, db: MeshDb, blobs: BlobService, blobStore: BlobStore, printers: PrintDesk }, init: AdminRoomInit) {
    const { libp2p, db } = components
    this.libp2p = libp2p
    this.guard = components.guard
    this.blobStore = components.blobStore
    this.init = init
    const self = (): { name: string, tags: string[] } => ({ name: init.config().name, tags: init.config().tags })
    const trusted = (): string[] => this.trusted()
    this.audit = new AuditLog(db)
    this.store = new DocumentStore(db)
    this.desired = new DesiredConfig({ db, audit: this.audit, store: this.store }, { layers: init.layers, reload: init.reload, self, trusted })
    this.services = new AdminServices({ db, audit: this.audit, blobs: components.blobs, blobStore: components.blobStore }, { layers: init.layers, reload: init.reload, dataDir: init.config().dataDir, changed: () => { this.reports.publish() } })
    this.inbox = new AdminInbox({ store: this.store, audit: this.audit }, {
      self,
      trusted,
      deliver: async doc => {
        await (doc.kind === 'service' ? this.services.offer(doc) : doc.kind === 'update' ? this.update.offer(doc) : this.desired.offer(doc))
        this.reports.publish()
      }
    })
    this.sync = new AdminSync({ libp2p, store: this.store, inbox: this.inbox })
    this.reports = new FleetReports(libp2p, () => {
      const state = this.desired.state
      return {
        name: init.config().name,
        tags: init.config().tags,
        version: init.version,
        configRevision: state.revision,
        rejectedRevision: state.rejected?.revision ?? 0,
        rejectedReason: state.rejected?.reason ?? '',
        startedAt: init.startedAt,
        drained: init.drain.drained,
        pending: this.desired.pending(),
        services: this.services.names(),
        updateState: this.update.state.state,
        updateRevision: this.update.state.revision,
        updateVersion: this.update.state.version,
        updateReason: this.update.state.reason,
        serviceOutcomes: this.services.reported()
      }
    })
    this.desk = new CommandDesk({ libp2p, db, audit: this.audit }, {
      self,
      trusted,
      commands: () => init.config().commands,
      drain: init.drain,
      printers: new PrinterCommands(components.printers),
      restart: init.restart,
      changed: () => { this.reports.publish() }
    })
    this.update = new UpdateRollout({ db, audit: this.audit, store: this.store, blobs: components.blobs, blobStore: components.blobStore }, {
      version: init.version,
      installRoot: packageRoot(),
      dataDir: init.config().dataDir,
      self,
      trusted,
      fleet: () => this.reports.fleet(),
      printing: init.printing,
      changed: () => { this.reports.publish() },
      restart: init.restart
    })
    this.commands = new CommandCaller({ libp2p, desk: this.desk }, { fleet: () => this.reports.fleet(), trusted })
  }

  async start (): Promise<void> {
    await this.audit.start()
    await this.store.start()
    await this.services.start()
    await this.desired.start()
    await this.sync.start()
    await this.desk.start()
    // Judged from here on, once the audit log and the held documents are read, and before anything arrives.
    this.guard.guard({ topic: ADMIN_TOPIC, maxBytes: MAX_DOCUMENT_BYTES, rate: ADMIN_GOSSIP_RATE, check: async (data, { forwarder }) => this.judgeGossip(data, forwarder) })
    this.guard.guard(ADMIN_STATUS_TOPIC_RULE)
    this.libp2p.services.pubsub.subscribe(ADMIN_TOPIC)
    this.libp2p.services.pubsub.addEventListener('message', this.onGossip)
    this.init.peers.addEventListener('peer:joined', this.onJoined)
    for (const peer of this.init.peers.peers()) this.sync.syncSoon(peerIdFromString(peer.peerId))
    this.resync = setInterval(() => { this.syncWithAnyPeer() }, RESYNC_INTERVAL_MS)
    this.reports.start()
    await this.update.start()
  }

  async stop (): Promise<void> {
    clearInterval(this.resync)
    this.update.stop()
    this.reports.stop()
    this.init.peers.removeEventListener('peer:joined', this.onJoined)
    this.libp2p.services.pubsub.removeEventListener('message', this.onGossip)
    this.services.stop()
    await this.desk.stop()
    await this.sync.stop()
  }

  private trusted (): string[] {
    return this.init.config().trust.admin.filter(isAdminKey)
  }

  /** A document from the local API: judged here like any other, then sent to the mesh whatever this node made of it. */
  async publish (bytes: Uint8Array): Promise<Taken> {
    const taken = await this.inbox.take(bytes, 'api')
    if (taken.decision !== 'refused') await this.libp2p.services.pubsub.publish(ADMIN_TOPIC, bytes).catch(err => { log('publishing a document failed %e', err) })
    return taken
  }

  /** A file on this machine put in the blob store, for a service document to name: its peers pull it from here. */
  async shareFile (path: string): Promise<{ hash: string, size: number, holder: string }> {
    const stored = await this.blobStore.importFile(path)
    return { ...stored, holder: this.libp2p.peerId.toString() }
  }

  private syncWithAnyPeer (): void {
    const peers = this.init.peers.peers()
    if (peers.length > 0) this.sync.syncSoon(peerIdFromString(peers[Math.floor(Math.random() * peers.length)].peerId))
  }

  /**
   * A document this node refuses is logged and not passed on: forged ones stop at the first node that sees them. A
   * copy of one it holds, or an older revision, is dropped without blame: the mesh has it or a newer one already,
   * and a peer that replays one is stopped by the rate of the topic.
   */
  private async judgeGossip (bytes: Uint8Array, from: string): Promise<'ignore' | undefined> {
    let doc: OpenedDocument
    try {
      doc = openDocument(bytes, this.trusted())
    } catch (err) {
      if (err instanceof RefusedDocumentError) await this.audit.append({ decision: 'refused', from, reason: err.message })
      throw err
    }
    return (this.store.get(doc.key)?.revision ?? 0) >= doc.revision ? 'ignore' : undefined
  }

  private readonly onGossip = (evt: CustomEvent<any>): void => {
    const msg = evt.detail
    if (msg.topic !== ADMIN_TOPIC) return
    const from = msg.type === 'signed' ? msg.from.toString() : 'gossip'
    this.inbox.take(msg.data, from).catch(err => { log.error('taking a document from %s failed %e', from, err) })
  }

  private readonly onJoined = (evt: Event): void => {
    const { peerId } = (evt as CustomEvent<{ peerId: string }>).detail
    this.sync.syncSoon(peerIdFromString(peerId))
    // The newcomer learns this node's state now rather than at the next heartbeat.
    this.reports.publish()
  }
}
