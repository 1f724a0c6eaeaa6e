import { homedir, hostname, totalmem } from 'node:os'
import { resolve } from 'node:path'
import type { PrinterConfig } from '../printer/printer-config.js'
import type { PowerConfig } from '../printer/power-config.js'
import { DEFAULT_HTTP_LISTEN } from './listen-address.js'
import { parseToolsConfig, type ServiceConfig, type ToolsConfig } from './service-config.js'
import type { OctoPrintConfig } from './octoprint-config.js'
import { defaultRepRapCloudConfig, type RepRapCloudConfig } from './reprapcloud-config.js'
import type { CommandConfig } from '../executors/admin-command.js'

/** Everything a peer needs to know about itself; loaded from a JSON file, then overridden by flags. */
export interface NodeConfig {
  name: string
  dataDir: string
  listen: string[]
  mdns: { enabled: boolean, intervalMs: number }
  /**
   * Path of a libp2p private-network key; peers without the same key never connect. Without one the key is
   * `<dataDir>/mesh.key`, made at the first start.
   */
  meshKeyFile?: string
  /** No mesh key at all: any machine on the LAN may join. Only when asked for (`--open`). */
  open: boolean
  /** Multiaddrs dialled at start and redialled when lost: for LANs without multicast. */
  peers: string[]
  /** Stage names this node offers others; undefined offers everything it can run. */
  offers?: string[]
  /** Words an admin document may target this node by (`meshnode admin config push --to slicers`). */
  tags: string[]
  printers: PrinterConfig[]
  /** The power group this node's printers heat up in turn with: see PowerBudget. */
  power?: PowerConfig
  tools: ToolsConfig
  services: ServiceConfig[]
  /** Commands an admin may run here by name (`meshnode admin run`). */
  commands: CommandConfig[]
  trust: TrustConfig
  blobs: BlobsConfig
  market: MarketConfig
  http: HttpConfig
  gateways: GatewaysConfig
  library: LibraryConfig
  watch: WatchConfig[]
}

/** Doors for clients we did not write, each off unless configured. */
export interface GatewaysConfig {
  octoprint?: OctoPrintConfig
  reprapcloud: RepRapCloudConfig
}

/** The design library (src/library/): how many peers keep each design's files. */
export interface LibraryConfig {
  /** Peers that keep every blob of every entry. */
  replicas: number
  /** How long a holder may be gone before another peer takes a copy. */
  graceMs: number
  /** How often a peer looks for blobs short of copies. */
  checkMs: number
  /** An HTTP service asked the type of a file the library does not recognise (see src/library/classify.ts). */
  classifyUrl?: string
}

/** A watched folder: its new and changed designs go into the library and through a pipeline. */
export interface WatchConfig {
  dir: string
  pipeline?: string[]
  tags?: string[]
  profile?: string
}

export interface HttpConfig {
  /** HOST:PORT of the HTTP API; undefined turns it off. */
  listen?: string
}

/** Peer ids (or "*" for any mesh member) allowed to do each kind of thing on this node. */
export interface TrustConfig {
  submit: string[]
  /** Unset: see `printTrust`. */
  print?: string[]
  /** Admin public keys (`ed25519:...`, from `meshnode admin keygen`) whose signed documents this node obeys; other entries are peer names or ids. */
  admin: string[]
}

export interface BlobsConfig {
  maxBlobBytes: number
  maxAgeMs: number
  maxTotalBytes: number
}

export interface MarketConfig {
  /** Stages this node runs at once; more wait in its queue (and bid with a later finish time). */
  maxConcurrent: number
  /** How long a requester waits for bids before it picks among those it has. */
  bidWindowMs: number
  /** How long an executor's lease lasts unless it is renewed. */
  leaseMs: number
  /** Stage attempts (awards) before the stage fails with the reasons collected. */
  maxAttempts: number
  /** Free space the data dir's disk keeps: with less free than this plus twice its input, a stage is refused for now. */
  minFreeDiskBytes: number
  /** Memory each native tool process may write to; over it the tool fails naming this limit. */
  toolMemoryMiB: number
  /** CPU seconds each native tool process may use; undefined leaves only toolTimeoutSec. */
  toolCpuSec?: number
  /** The largest file a native tool may write (its output, its temporary files). */
  maxOutputMiB: number
  /** Wall time of one tool run, embedded engines included; a service's own timeoutSec may be shorter. */
  toolTimeoutSec: number
}

export const ANY_PEER = '*'

export function defaultConfig (): NodeConfig {
  return {
    name: hostname(),
    dataDir: resolve(homedir(), '.meshnode'),
    listen: ['/ip4/0.0.0.0/tcp/0'],
    // The first query goes out at start; later ones only repair, and every peer answers each one.
    mdns: { enabled: true, intervalMs: 10_000 },
    open: false,
    peers: [],
    tags: [],
    printers: [],
    tools: parseToolsConfig({}, 'tools'),
    services: [],
    commands: [],
    trust: { submit: [ANY_PEER], admin: [] },
    blobs: { maxBlobBytes: 1024 * 1024 * 1024, maxAgeMs: 7 * 24 * 3600_000, maxTotalBytes: 10 * 1024 * 1024 * 1024 },
    http: { listen: DEFAULT_HTTP_LISTEN },
    gateways: { reprapcloud: defaultRepRapCloudConfig() },
    library: { replicas: 2, graceMs: 10 * 60_000, checkMs: 15_000 },
    watch: [],
    market: {
      maxConcurrent: 2,
      bidWindowMs: 400,
      leaseMs: 10_000,
      maxAttempts: 5,
      minFreeDiskBytes: 512 * 1024 * 1024,
      toolMemoryMiB: defaultToolMemoryMiB(),
      maxOutputMiB: 1024,
      toolTimeoutSec: 30 * 60
    }
  }
}

/**
 * Who may print here when the config does not say. A keyed mesh's members all hold its secret, and a workshop
 * that keys its mesh means them to use its printers; an open mesh is anyone on the LAN, so only this node.
 */
export function printTrust (config: Pick<NodeConfig, 'trust' | 'open'>): string[] {
  return config.trust.print ?? (config.open === true ? [] : [ANY_PEER])
}

/** What one run of a native tool may use; from the node's `market` config. */
export interface ToolLimits {
  /** Memory the tool may write to (heap and private maps), per process. */
  memoryMiB: number
  /** CPU time per process, all its threads together; undefined leaves only the wall time. */
  cpuSec?: number
  /** The largest file the tool may write, its output included. */
  outputMiB: number
}

/** What each native tool run may use, from the market section. */
export function toolLimits ({ market }: NodeConfig): ToolLimits {
  return { memoryMiB: market.toolMemoryMiB, cpuSec: market.toolCpuSec, outputMiB: market.maxOutputMiB }
}

/** Half the machine's memory: a runaway tool cannot take the node's own, and two at once still fit. */
export function defaultToolMemoryMiB (): number {
  return Math.max(MIN_TOOL_MEMORY_MIB, Math.floor(totalmem() / 2 / (1024 * 1024)))
}

export const MIN_TOOL_MEMORY_MIB = 16
