import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { openDoors } from '../api/doors.js'
import { JobSubmitters } from '../api/job-submitters.js'
import { MethodTable } from '../api/method-table.js'
import { METHODS } from '../api/methods.js'
import { CapabilityService } from '../capabilities/capability-service.js'
import { ToolDetection, type ToolProbeReport } from '../capabilities/tools.js'
import { loadProfiles } from '../executors/profiles.js'
import { BlobService, BlobStore } from '../blobs/index.js'
import { Coordinator } from '../jobs/coordinator.js'
import { hasTool, offersStage, trustsRequester } from '../market/bid-strategies.js'
import { DirectChannel } from '../market/direct.js'
import { GossipGuard } from '../market/gossip-guard.js'
import { NamePins } from '../market/name-pins.js'
import { PrintDesk } from '../market/print-desk.js'
import { PrinterStatePublisher } from '../printer/printer-state-publisher.js'
import { PowerBudget } from '../printer/power-budget.js'
import { StageCache } from '../market/stage-cache.js'
import { WorkQueue } from '../market/work-queue.js'
import { WaitingPrints } from '../market/waiting-prints.js'
import { firstRefusal, type SemanticStrategy } from '../market/bid-strategies.js'
import { LevelJobStore } from '../store/level-job-store.js'
import { startBlobGc } from './blob-gc.js'
import { registerJobApi, stageDirectory } from './job-api.js'
import { registerPrinterApi } from './printer-api.js'
import { registerProvenanceApi } from './provenance-api.js'
import { registerQueueApi } from './queue-api.js'
import { ProvenanceService } from '../provenance/provenance-service.js'
import { Dialer } from './dialer.js'
import { loadOrCreatePeerKey, prepareDataDir } from './identity.js'
import { explainListenFailure } from './listen-failure.js'
import { createMeshLibp2p, type MeshLibp2p } from './libp2p.js'
import { meshKeyFor, type MeshKey } from './mesh-key.js'
import { Invites } from '../net/invites.js'
import { registerInviteApi } from './invite-api.js'
import { openDb, type MeshDb } from './open-db.js'
import type { Tool } from '../../protocols/capability.js'
import { printTrust, type NodeConfig } from '../config/node-config.js'
import type { Executor } from '../executors/executor.js'

const log = logger('meshnode:node')

/** A running peer: libp2p plus meshnode's services, assembled here and nowhere else. */
export interface MeshNode {
  config: NodeConfig
  libp2p: MeshLibp2p
  db: MeshDb
  capabilities: CapabilityService
  /** Every method of the node; the unix socket and HTTP call them. */
  api: MethodTable
  /** Where the HTTP API listens, once it does. */
  http?: { url: string }
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
  startedAt: number
  /** Re-reads what this node can do (tools, printers) and announces it when it changed. */
  reload(config?: NodeConfig): Promise<void>
  stop(): Promise<void>
}

export async function startMeshNode (config: NodeConfig): Promise<MeshNode> {
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
    const libp2p = await createMeshLibp2p({ privateKey, listen: config.listen, mdns: config.mdns, meshKey: meshKey?.key })
    cleanup.push(async () => libp2p.stop())
    let tools = await detecting
    cleanup.push(() => { tools.stop() })
    const dialer = new Dialer(libp2p, config.peers)
    await dialer.start()
    cleanup.push(() => { dialer.stop() })
    const guard = new GossipGuard(libp2p)
    guard.start()
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

    const waitingPrints = new WaitingPrints(libp2p.services.pubsub, self)
    waitingPrints.start()
    cleanup.push(() => { waitingPrints.stop() })
    // Whether this node could take a stage now, its place in the print queue aside.
    const takesNow: SemanticStrategy[] = [
      offersStage(() => current),
      trustsRequester(() => current, self, (name) => pins.peerFor(name)),
      hasTool(() => executors, () => current.printers.map(p => p.name)),
      (spec) => spec.kind === 'print' ? printers.refusal(spec) : null
    ]

    const channel = new DirectChannel(libp2p)
    await channel.start()
    cleanup.push(async () => channel.stop())
    work = new WorkQueue({ db, channel, blobs, store: blobStore, cache: new StageCache(db, blobStore) }, {
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
    const jobs = new Coordinator({ libp2p, store: jobStore, blobs, blobStore, channel, capabilities, work, profiles: () => profiles }, () => current)
    await jobs.start()
    cleanup.push(async () => jobs.stop())
    const provenance = new ProvenanceService(libp2p, jobStore, self)
    await provenance.start()
    cleanup.push(async () => provenance.stop())
    const gc = startBlobGc(blobStore, jobStore, () => current.blobs)
    cleanup.push(() => { gc.stop() })

    const invites = new Invites({ db, meshKey: meshKey?.key, addresses: () => libp2p.getMultiaddrs(), listen: config.listen })
    await invites.start()
    cleanup.push(async () => invites.stop())

    const submitters = new JobSubmitters(db)
    const api = new MethodTable(METHODS, async id => submitters.submitterOf(id))
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
      startedAt: Date.now(),
      async reload (next?: NodeConfig) {
        if (next != null) {
          current = next
          tools.stop()
          tools = await ToolDetection.start(next.tools, next.services, { cacheFile: join(next.dataDir, 'tools.json'), offered: stage => isOffered(next, stage) })
          executors = tools.executors()
          tools.retryFailed(toolFound)
          node.config = next
        }
        await capabilities.refresh()
      },
      stop: stopAll
    }
    registerNodeApi(node)
    registerJobApi(node)
    registerPrinterApi(node)
    registerProvenanceApi(api, jobStore, provenance)
    registerQueueApi(node)
    registerInviteApi(node)
    const doors = await openDoors({
      dataDir: config.dataDir,
      httpListen: config.http.listen,
      methods: api,
      coordinator: jobs,
      jobStore,
      blobStore,
      blobs,
      submitters,
      stages: () => stageDirectory(node),
      events: { jobs, peers: capabilities, printers: printers.controllers }
    })
    node.http = doors.http
    cleanup.push(async () => doors.stop())
    return node
  } catch (err) {
    await stopAll()
    await dataDirMade.removeIfNew()
    throw await explainListenFailure(err, config.listen)
  }
}

function registerNodeApi (node: MeshNode): void {
  node.api.register('status', async () => {
    const record = node.capabilities.local()
    return {
      peerId: node.libp2p.peerId.toString(),
      name: record.name,
      addresses: node.libp2p.getMultiaddrs().map(a => a.toString()),
      dataDir: node.config.dataDir,
      http: node.http?.url,
      offers: record.offers,
      tools: record.tools,
      toolProbes: node.toolProbes(),
      printers: node.printers.records(),
      uptimeMs: Date.now() - node.startedAt,
      load: loadavg()[0] / availableParallelism(),
      peers: node.capabilities.peers().length
    }
  })
  node.api.register('peers', async () => node.capabilities.peers().map(peer => ({
    peerId: peer.peerId,
    name: peer.name,
    addresses: peer.addresses,
    offers: peer.record.offers,
    tools: peer.record.tools,
    printers: peer.record.printers,
    load: peer.record.load,
    queue: peer.record.queue,
    lastSeen: peer.lastSeen,
    rttMs: peer.rttMs
  })))
}

/** Stage names this node offers: what it can run, limited by --offer / `offers`. */
function offered (config: NodeConfig, executors: Executor[]): string[] {
  const can = new Set(executors.map(e => e.tool.stage))
  if (config.printers.length > 0) can.add('print')
  return [...can].filter(stage => isOffered(config, stage)).sort()
}

function isOffered (config: NodeConfig, stage: string): boolean {
  return config.offers == null || config.offers.includes(stage)
}

function toolRecord (executor: Executor): Tool {
  const { stage, name, version, embedded } = executor.tool
  return { stage, name, version, embedded }
}
