import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { logger } from '@libp2p/logger'
import { openDoors, type Doors } from '../api/doors.js'
import { TokenStore } from '../api/token-store.js'
import { JobSubmitters } from '../api/job-submitters.js'
import { MethodTable } from '../api/method-table.js'
import { METHODS } from '../api/methods.js'
import { CapabilityService } from '../capabilities/capability-service.js'
import { ToolDetection, type ToolProbeReport } from '../capabilities/tools.js'
import { loadProfiles } from '../executors/profiles.js'
import { BlobService, BlobStore } from '../blobs/index.js'
import { Coordinator } from '../requester/coordinator.js'
import { hasTool, offersStage, trustsRequester } from '../compute/bid-strategies.js'
import { DirectChannel } from '../market/direct.js'
import { JOBS_TOPIC_RULE, JobsTopic } from '../market/jobs-topic.js'
import { GossipGuard } from '../net/gossip-guard.js'
import { CAPABILITY_TOPIC_RULE } from '../capabilities/signed-record.js'
import { PRINTER_STATE_TOPIC_RULE } from '../printer/printer-state.js'
import { POWER_TOPIC_RULE } from '../printer/power-claim.js'
import { LIBRARY_TOPIC_RULE } from '../library/library-gossip.js'
import { ADMIN_TOPICS } from '../admin/constants.js'
import { NamePins } from '../compute/name-pins.js'
import { PrintDesk } from '../printer/print-desk.js'
import { PrinterStatePublisher } from '../printer/printer-state-publisher.js'
import { StageCache } from '../compute/stage-cache.js'
import { WorkQueue } from '../compute/work-queue.js'
import { LevelJobStore } from '../store/level-job-store.js'
import { startBlobGc } from './blob-gc.js'
import { registerJobs, stageDirectory } from '../api/handlers/jobs.js'
import { registerNode } from '../api/handlers/node.js'
import { registerPrinters } from '../api/handlers/printers.js'
import { registerProvenance } from '../api/handlers/provenance.js'
import { registerQueue } from '../api/handlers/queue.js'
import { ProvenanceService } from '../provenance/provenance-service.js'
import { PowerBudget } from '../printer/power-budget.js'
import { WaitingPrints } from '../compute/waiting-prints.js'
import { firstRefusal, type SemanticStrategy } from '../compute/bid-strategies.js'
import type { Refusal } from '../jobs/job.js'
import { Dialer } from '../net/dialer.js'
import { loadOrCreatePeerKey, prepareDataDir } from '../net/identity.js'
import { explainListenFailure } from './listen-failure.js'
import { createMeshLibp2p, type MeshLibp2p } from '../net/libp2p.js'
import { PeerBar } from '../net/peer-bar.js'
import { meshKeyFor, type MeshKey } from '../net/mesh-key.js'
import { Invites } from '../net/invites.js'
import { registerInvites } from '../api/handlers/invites.js'
import { registerOffers } from '../api/handlers/offers.js'
import { openDb, type MeshDb } from '../store/open-db.js'
import { registerLibrary } from '../api/handlers/library.js'
import { startLibrary, type LibraryService } from '../library/library-service.js'
import type { Tool } from '../../protocols/capability.js'
import { printTrust, type NodeConfig } from '../config/node-config.js'
import type { Executor } from '../executors/executor.js'
import type { StageDirectory } from '../jobs/pipeline.js'
import { AdminRoom } from '../admin/admin-room.js'
import { ConfigLayers } from '../admin/config-layers.js'
import { DrainSwitch } from '../admin/drain-switch.js'
import { registerAdminApi } from '../api/handlers/admin.js'
import { packageVersion } from '../paths.js'

const log = logger('meshnode:node')

/** The rooms' gossip topics whose rules are their decoders alone: the guard has them before any service subscribes. */
const TOPIC_RULES = [JOBS_TOPIC_RULE, CAPABILITY_TOPIC_RULE, PRINTER_STATE_TOPIC_RULE, LIBRARY_TOPIC_RULE, POWER_TOPIC_RULE]
/** Every gossip topic: libp2p scores a peer down for each message on them that the guard rejects. */
const GUARDED_TOPICS = [...TOPIC_RULES.map(rule => rule.topic), ...ADMIN_TOPICS]

/** A running peer: libp2p plus meshnode's services, assembled here and nowhere else. */
export interface MeshNode {
  config: NodeConfig
  libp2p: MeshLibp2p
  db: MeshDb
  capabilities: CapabilityService
  /** Every method of the node; the unix socket and HTTP call them. */
  api: MethodTable
  /** Where the HTTP API listens, while it does. */
  readonly http?: { url: string }
  /** Where the OctoPrint gateway listens, while it does. */
  readonly octoprint?: { url: string }
  /** Where the RepRapCloud gateway listens, while it does. */
  readonly reprapcloud?: { url: string }
  executors: Executor[]
  /** Each native tool's probe: found, or why not, and when it is asked again. */
  toolProbes(): ToolProbeReport[]
  blobStore: BlobStore
  blobs: BlobService
  work: WorkQueue
  jobs: Coordinator
  jobStore: LevelJobStore
  printers: PrintDesk
  /** The mesh's print stages waiting for a printer, as announced: the print queue. */
  waitingPrints: WaitingPrints
  /** The power group this node's printers heat up in turn with, when the config names one. */
  power?: PowerBudget
  /** The mesh key this peer runs with; undefined in an open mesh. */
  meshKey: MeshKey | undefined
  invites: Invites
  library: LibraryService
  admin: AdminRoom
  startedAt: number
  /**
   * Re-reads what this node can do (tools, printers) and announces it when it changed; with a new config, also
   * moves, opens or closes the HTTP API and the gateways to match it. Returns what it could not apply, one
   * sentence each (a listener that could not move stays where it was).
   */
  reload(config?: NodeConfig): Promise<string[]>
  stop(): Promise<void>
}

export interface MeshNodeOptions {
  /** How this node restarts itself when an admin asks (`meshnode start` re-executes itself); unset, it cannot. */
  restart?: () => void
}

export async function startMeshNode (config: NodeConfig, options: MeshNodeOptions = {}): Promise<MeshNode> {
  const dataDirMade = await prepareDataDir(config.dataDir)
  const db = await openDb(config.dataDir).catch(async (err: unknown) => { await dataDirMade.removeIfNew(); throw err })
  const cleanup: Array<() => Promise<void> | void> = [async () => db.close()]
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(err => log.error('stopping failed %e', err))
  }
  try {
    const privateKey = await loadOrCreatePeerKey(config.dataDir)
    const meshKey = await meshKeyFor(config)
    // Tools are probed while libp2p starts; a failed start waits for the probes before it removes a new data dir.
    const detecting = ToolDetection.start(config.tools, config.services, { cacheFile: join(config.dataDir, 'tools.json'), offered: stage => isOffered(config, stage) })
    const probed = detecting.then(() => {}, () => {})
    cleanup.push(async () => probed)
    const bar = new PeerBar()
    const libp2p = await createMeshLibp2p({ privateKey, listen: config.listen, mdns: config.mdns, meshKey: meshKey?.key, guardedTopics: GUARDED_TOPICS, bar })
    cleanup.push(async () => libp2p.stop())
    let tools = await detecting
    cleanup.push(() => { tools.stop() })
    const dialer = new Dialer(libp2p, config.peers)
    await dialer.start()
    cleanup.push(() => { dialer.stop() })
    const guard = new GossipGuard(libp2p, { topics: GUARDED_TOPICS, bar })
    for (const rule of TOPIC_RULES) guard.guard(rule)
    cleanup.push(() => { guard.stop() })
    let executors = tools.executors()
    let current = config
    const self = libp2p.peerId.toString()
    let work: WorkQueue | undefined
    const refresh = (): void => { capabilities.refresh().catch(err => log('refreshing capabilities failed %e', err)) }
    const power = config.power == null || config.printers.length === 0 ? undefined : new PowerBudget({ gossip: libp2p.services.pubsub, self }, config.power)
    power?.start()
    cleanup.push(() => { power?.stop() })
    const printers = new PrintDesk(db, config.dataDir, config.printers, refresh, self, power)

    const capabilities = new CapabilityService({ libp2p }, {
      name: config.name,
      privateKey,
      describe: async () => ({
        offers: offered(current, executors),
        tools: executors.filter(e => isOffered(current, e.tool.stage)).map(e => toolRecord(e)),
        printers: printers.records(),
        queue: work == null ? 0 : work.load().queued + work.load().running,
        load: loadavg()[0] / availableParallelism()
      })
    })
    await capabilities.start()
    cleanup.push(async () => capabilities.stop())
    const toolFound = (): void => { executors = tools.executors(); refresh() }
    tools.retryFailed(toolFound)
    const pins = new NamePins(db)
    await pins.load()
    capabilities.addEventListener('peer:joined', (evt) => {
      const { name, peerId } = (evt as CustomEvent<{ name: string, peerId: string }>).detail
      const trust = current.trust
      if ([...trust.submit, ...printTrust(current), ...trust.admin].includes(name)) pins.sighted(name, peerId).catch(err => log.error('pinning %s failed %e', name, err))
    })
    await printers.start()
    cleanup.push(async () => printers.stop())
    const printerStates = new PrinterStatePublisher(libp2p, { snapshots: () => printers.records() })
    printerStates.start()
    cleanup.push(() => { printerStates.stop() })

    const blobStore = await BlobStore.open(join(config.dataDir, 'blobs'), { maxBlobBytes: config.blobs.maxBlobBytes })
    const blobs = new BlobService(libp2p, { store: blobStore })
    await blobs.start()
    cleanup.push(async () => blobs.stop())

    const drain = new DrainSwitch(db)
    await drain.load()
    // One subscription for the node: announcements and awards go to the print queue and the work queue.
    const topic = new JobsTopic(libp2p.services.pubsub)
    const waitingPrints = new WaitingPrints(topic, self)
    // The admin room comes later (it needs the config layers); until then no update is under way.
    let updating = (): Refusal | null => null
    // Whether this node could take a stage now, its place in the print queue aside.
    const takesNow: SemanticStrategy[] = [
      offersStage(() => current),
      trustsRequester(() => current, self, (name) => pins.peerFor(name)),
      hasTool(() => executors, () => current.printers.map(p => p.name)),
      (spec) => spec.kind === 'print' ? printers.refusal(spec) : null,
      drain.refusal,
      () => updating()
    ]

    const channel = new DirectChannel(libp2p)
    await channel.start()
    cleanup.push(async () => channel.stop())
    work = new WorkQueue({ db, topic, channel, blobs, store: blobStore, cache: new StageCache(db, blobStore) }, {
      self,
      selfName: config.name,
      dataDir: config.dataDir,
      config: () => current,
      executorFor: (spec) => spec.kind === 'print' ? printers.executorFor(spec) : executors.find(e => e.tool.stage === spec.kind),
      reserve: (spec, until) => spec.kind === 'print' ? printers.reserve(spec, until) : null,
      release: (spec) => { printers.release(spec) },
      sign: async (bytes) => await privateKey.sign(bytes),
      semantic: [...takesNow, (spec) => waitingPrints.refusal(spec, other => firstRefusal(takesNow, other) == null)]
    })
    await work.start()
    const workQueue = work
    cleanup.push(async () => workQueue.stop())
    const jobStore = new LevelJobStore(db)
    // The requester's own profiles name the ones a job with none is sliced with: the bundled ones are every peer's.
    const profiles = (await loadProfiles(config.tools.profileDirs)).all()
    const jobs = new Coordinator({ self, topic, bidder: work, store: jobStore, blobs, blobStore, channel, capabilities, profiles: () => profiles }, () => current)
    topic.start()
    await jobs.start()
    cleanup.push(async () => jobs.stop())
    cleanup.push(() => { topic.stop() })
    const library = await startLibrary({ db, libp2p, capabilities, blobStore, blobs, coordinator: jobs, dataDir: config.dataDir, config: () => current.library, minFreeDiskBytes: () => current.market.minFreeDiskBytes, watches: config.watch })
    cleanup.push(async () => library.stop())
    const provenance = new ProvenanceService(libp2p, jobStore, self)
    await provenance.start()
    cleanup.push(async () => provenance.stop())
    const gc = startBlobGc(blobStore, jobStore, () => current.blobs, () => library.library.keptBlobs())
    cleanup.push(() => { gc.stop() })

    const invites = new Invites({ db, meshKey: meshKey?.key, addresses: () => libp2p.getMultiaddrs(), listen: config.listen })
    await invites.start()
    cleanup.push(async () => invites.stop())

    const layers = new ConfigLayers(config)
    // SIGHUP looks for tools again (one may have been installed); an admin's config only when their config changed,
    // so that a pushed market change applies at once.
    const runWith = async (next: NodeConfig, lookForTools = false): Promise<void> => {
      const retool = lookForTools || !isDeepStrictEqual([next.tools, next.services, next.offers], [current.tools, current.services, current.offers])
      current = next
      if (retool) {
        tools.stop()
        tools = await ToolDetection.start(next.tools, next.services, { cacheFile: join(next.dataDir, 'tools.json'), offered: stage => isOffered(next, stage) })
        executors = tools.executors()
        tools.retryFailed(toolFound)
      }
      node.config = next
      await capabilities.refresh()
    }
    const startedAt = Date.now()
    const admin = new AdminRoom({ libp2p, guard, db, blobs, blobStore, printers }, { config: () => current, layers, reload: async next => runWith(next), version: packageVersion(), startedAt, peers: capabilities, drain, restart: options.restart, printing: () => printers.controllers.some(c => MID_PRINT.includes(c.state)) })
    updating = admin.update.refusal

    const submitters = new JobSubmitters(db)
    const api = new MethodTable(METHODS, async id => submitters.submitterOf(id))
    const tokens = await TokenStore.open(config.dataDir)
    const stages = (): StageDirectory => stageDirectory(capabilities, current.services)
    // Filled in once the doors are open; `status` is only called after that.
    let doors: Doors | undefined
    const urlOf = (name: string): { url: string } | undefined => {
      const door = doors?.slots.get(name)?.door
      return door == null ? undefined : { url: door.url }
    }
    const node: MeshNode = {
      config,
      libp2p,
      db,
      capabilities,
      api,
      get executors () { return executors },
      toolProbes: () => tools.report(),
      blobStore,
      blobs,
      work,
      jobs,
      jobStore,
      printers,
      waitingPrints,
      power,
      meshKey,
      invites,
      library,
      admin,
      startedAt,
      get http () { return urlOf('http') },
      get octoprint () { return urlOf('octoprint') },
      get reprapcloud () { return urlOf('reprapcloud') },
      async reload (next?: NodeConfig) {
        if (next == null) {
          await capabilities.refresh()
          return []
        }
        // The admin's desired config stays over the reread file.
        const layered = layers.rebase(next)
        if (layered.error != null) log.error('the admin config no longer fits the node\'s file, running the file alone: %s', layered.error.message)
        await runWith(layered.config, true)
        const running = layered.config
        return await doors?.follow({ http: running.http.listen, octoprint: running.gateways.octoprint?.listen, reprapcloud: running.gateways.reprapcloud.listen }) ?? []
      },
      stop: stopAll
    }
    registerNode(api, {
      peerId: self,
      addresses: () => libp2p.getMultiaddrs().map(a => a.toString()),
      capabilities,
      printers,
      toolProbes: () => tools.report(),
      dataDir: () => current.dataDir,
      httpUrl: () => urlOf('http')?.url,
      gatewayUrls: () => Object.fromEntries(GATEWAYS.flatMap(name => { const url = urlOf(name)?.url; return url == null ? [] : [[name, url]] })),
      listenFailures: () => doors?.failures() ?? [],
      startedAt
    })
    registerJobs(api, { jobs, jobStore, blobStore, blobs, stages })
    registerPrinters(api, { printers, capabilities, work, dataDir: config.dataDir, power })
    registerProvenance(api, jobStore, provenance)
    registerQueue(api, { jobs, waitingPrints, printers, capabilities })
    registerInvites(api, invites)
    registerOffers(api, { capabilities, profileDirs: config.tools.profileDirs })
    registerLibrary(api, { library: library.library, watch: library.watch, stages })
    registerAdminApi(api, admin)
    await admin.start()
    cleanup.push(async () => admin.stop())
    doors = await openDoors({
      dataDir: config.dataDir,
      httpListen: config.http.listen,
      methods: api,
      coordinator: jobs,
      jobStore,
      blobStore,
      blobs,
      submitters,
      stages,
      events: { jobs, peers: capabilities, printers: printers.controllers },
      tokens,
      gateways: [
        {
          name: 'reprapcloud',
          label: 'the RepRapCloud gateway',
          listen: config.gateways.reprapcloud.listen,
          // The gateways' code loads only when one is configured: most peers never serve one.
          make: async () => new (await import('../gateways/reprapcloud/gateway.js')).RepRapCloudGateway({ db, config: () => current.gateways.reprapcloud, serverName: config.name, customServices: () => current.services, printerPorts: () => current.printers, methods: api, tokens, blobStore })
        },
        {
          name: 'octoprint',
          label: 'the OctoPrint gateway',
          listen: config.gateways.octoprint?.listen,
          make: async listen => new (await import('../gateways/octoprint/octoprint-gateway.js')).OctoPrintGateway({ listen, keys: () => current.gateways.octoprint?.keys ?? {}, dataDir: config.dataDir, methods: api, tokens, blobStore })
        }
      ]
    })
    const opened = doors
    cleanup.push(async () => opened.stop())
    admin.update.ready()
    return node
  } catch (err) {
    await stopAll()
    await dataDirMade.removeIfNew()
    throw await explainListenFailure(err, config.listen)
  }
}

/** Stage names this node offers: what it can run, limited by --offer / `offers`. */
function offered (config: NodeConfig, executors: Executor[]): string[] {
  const can = new Set(executors.map(e => e.tool.stage))
  if (config.printers.length > 0) can.add('print')
  return [...can].filter(stage => isOffered(config, stage)).sort()
}

/** Printer states in the middle of a print: a node updates only once its printers are out of them. */
const MID_PRINT: readonly string[] = ['printing', 'paused', 'waiting-for-power']

/** The gateways' names in the config (`gateways.NAME`), as the doors know them. */
const GATEWAYS = ['reprapcloud', 'octoprint']

function isOffered (config: NodeConfig, stage: string): boolean {
  return config.offers == null || config.offers.includes(stage)
}

function toolRecord (executor: Executor): Tool {
  const { stage, name, version, embedded } = executor.tool
  return { stage, name, version, embedded }
}
