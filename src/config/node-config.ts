import { homedir, hostname } from 'node:os'
import { resolve } from 'node:path'
import type { PrinterConfig } from '../printer/printer-config.js'
import { DEFAULT_HTTP_LISTEN } from '../api/http/listen-address.js'
import { parseToolsConfig, type ServiceConfig, type ToolsConfig } from '../executors/service-config.js'

/** Everything a peer needs to know about itself; loaded from a JSON file, then overridden by flags. */
export interface NodeConfig {
  name: string
  dataDir: string
  listen: string[]
  mdns: { enabled: boolean, intervalMs: number }
  /** Path of a libp2p private-network key; peers without the same key never connect. */
  meshKeyFile?: string
  /** Multiaddrs dialled at start and redialled when lost: for LANs without multicast. */
  peers: string[]
  /** Stage names this node offers others; undefined offers everything it can run. */
  offers?: string[]
  printers: PrinterConfig[]
  tools: ToolsConfig
  services: ServiceConfig[]
  trust: TrustConfig
  blobs: BlobsConfig
  market: MarketConfig
  http: HttpConfig
}

export interface HttpConfig {
  /** HOST:PORT of the HTTP API; undefined turns it off. */
  listen?: string
}

/** Peer ids (or "*" for any mesh member) allowed to do each kind of thing on this node. */
export interface TrustConfig {
  submit: string[]
  print: string[]
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
}

export const ANY_PEER = '*'

export function defaultConfig (): NodeConfig {
  return {
    name: hostname(),
    dataDir: resolve(homedir(), '.meshnode'),
    listen: ['/ip4/0.0.0.0/tcp/0'],
    // The first query goes out at start; later ones only repair, and every peer answers each one.
    mdns: { enabled: true, intervalMs: 10_000 },
    peers: [],
    printers: [],
    tools: parseToolsConfig({}, 'tools'),
    services: [],
    trust: { submit: [ANY_PEER], print: [], admin: [] },
    blobs: { maxBlobBytes: 1024 * 1024 * 1024, maxAgeMs: 7 * 24 * 3600_000, maxTotalBytes: 10 * 1024 * 1024 * 1024 },
    http: { listen: DEFAULT_HTTP_LISTEN },
    market: { maxConcurrent: 2, bidWindowMs: 400, leaseMs: 10_000, maxAttempts: 5, minFreeDiskBytes: 512 * 1024 * 1024 }
  }
}
