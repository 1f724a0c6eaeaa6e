import { logger } from '@libp2p/logger'
import { BLOB_FAULT_ENV, BlobFaultInjector, parseBlobFault } from './blob-fault.js'
import { BlobFetcher } from './blob-fetcher.js'
import { BlobServer } from './blob-server.js'
import { BLOB_PROTOCOL, DEFAULT_MAX_RESTARTS, DEFAULT_MAX_RETRIES, DEFAULT_MAX_UPLOADS, DEFAULT_TIMEOUT_MS } from './constants.js'
import type { BlobFault } from './blob-fault.js'
import type { BlobFetchOptions, BlobFetchResult, BlobPeer } from './blob-fetcher.js'
import type { BlobStore } from './blob-store.js'
import type { Libp2p, Startable } from '@libp2p/interface'

const log = logger('meshnode:blobs')

/** The parts of a libp2p node the blob service uses; a libp2p node itself will do. */
export interface BlobServiceComponents {
  handle: Libp2p['handle']
  unhandle: Libp2p['unhandle']
  dialProtocol: Libp2p['dialProtocol']
}

export interface BlobServiceInit {
  store: BlobStore
  /** Largest blob fetched; defaults to the store's limit. */
  maxBlobBytes?: number
  /** For each header exchange and for silence within a body. */
  timeoutMs?: number
  /** Uploads served at once; more get BUSY and retry. */
  maxUploads?: number
  /** Failed attempts in a row (without progress) before a fetch gives up. */
  maxRetries?: number
  /** Full re-downloads after content fails its hash. */
  maxRestarts?: number
  /** TEST ONLY; defaults to MESHNODE_TEST_BLOB_FAULT (see blob-fault.ts). */
  fault?: BlobFault
}

/** /meshnode/blob/1.0.0: serves this node's blobs and fetches blobs from peers into its store. */
export class BlobService implements Startable {
  private readonly components: BlobServiceComponents
  private readonly server: BlobServer
  private readonly fetcher: BlobFetcher
  private stopping = new AbortController()
  private started = false

  constructor (components: BlobServiceComponents, init: BlobServiceInit) {
    this.components = components
    const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const fault = init.fault ?? parseBlobFault(process.env[BLOB_FAULT_ENV])
    if (fault != null) log('TEST FAULT ACTIVE: %o', fault)
    this.server = new BlobServer({
      store: init.store,
      timeoutMs,
      maxUploads: init.maxUploads ?? DEFAULT_MAX_UPLOADS,
      faults: new BlobFaultInjector(fault)
    })
    this.fetcher = new BlobFetcher({
      store: init.store,
      dialProtocol: async (peer, protocols, options) => this.components.dialProtocol(peer, protocols, options),
      maxBlobBytes: init.maxBlobBytes ?? init.store.maxBlobBytes,
      timeoutMs,
      maxRetries: init.maxRetries ?? DEFAULT_MAX_RETRIES,
      maxRestarts: init.maxRestarts ?? DEFAULT_MAX_RESTARTS
    })
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    if (this.started) return
    this.stopping = new AbortController()
    await this.components.handle(BLOB_PROTOCOL, this.server.handle, { maxInboundStreams: 64 })
    this.started = true
  }

  /** Stops serving and cancels fetches in progress; their partials stay for a later resume. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.components.unhandle(BLOB_PROTOCOL)
    const reason = new Error('blob service stopped')
    this.stopping.abort(reason)
    this.server.abortAll(reason)
  }

  /**
   * Pulls `hash` from `peer` into the store and resolves once it is there, verified. Returns at once,
   * without network, when the store already holds it.
   */
  async fetch (peer: BlobPeer, hash: string, options: BlobFetchOptions = {}): Promise<BlobFetchResult> {
    const signals = [this.stopping.signal, ...(options.signal == null ? [] : [options.signal])]
    return this.fetcher.fetch(peer, hash, { ...options, signal: AbortSignal.any(signals) })
  }
}
