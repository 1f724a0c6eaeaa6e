import { statfs } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { TERMINAL_JOB_STATES, type JobRecord } from '../jobs/job.js'
import { BlobReplicator } from './blob-replicator.js'
import { HybridClock } from './hlc.js'
import { JobLinks } from './job-links.js'
import { Library } from './library.js'
import { LibraryGossip } from './library-gossip.js'
import { LibraryStore } from './library-store.js'
import { LibrarySync } from './library-sync.js'
import { PeerPresence } from './peer-presence.js'
import { classifyByService } from './classify.js'
import { WatchFolder, type WatchEvent, type WatchSpec } from './watch-folder.js'
import { WatchPaths } from './watch-paths.js'
import type { LibraryEntry } from './entry.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { CapabilityService } from '../capabilities/capability-service.js'
import type { LibraryConfig } from '../config/node-config.js'
import type { Coordinator } from '../requester/coordinator.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { MeshDb } from '../store/open-db.js'

const log = logger('meshnode:library')

export interface LibraryServiceComponents {
  db: MeshDb
  libp2p: MeshLibp2p
  capabilities: Pick<CapabilityService, 'peers' | 'addEventListener' | 'removeEventListener'>
  blobStore: BlobStore
  blobs: Pick<BlobService, 'fetch'>
  coordinator: Coordinator
  dataDir: string
  config: () => LibraryConfig
  /** Free space the data dir's disk keeps: a copy that would eat into it is not taken. */
  minFreeDiskBytes: () => number
  /** Folders watched from the start (the config's `watch`). */
  watches: WatchSpec[]
}

/** The library of this peer, opened and replicated: entries spread to every peer, blobs kept on `replicas`. */
export interface LibraryService {
  library: Library
  sync: LibrarySync
  replicator: BlobReplicator
  /** Watches a folder until the watch is stopped (or the node); each file's outcome goes to `onEvent`. */
  watch(spec: WatchSpec, onEvent: (event: WatchEvent) => void): Promise<{ stop(): Promise<void> }>
  stop(): Promise<void>
}

export async function startLibrary (c: LibraryServiceComponents): Promise<LibraryService> {
  const self = c.libp2p.peerId.toString()
  const store = await LibraryStore.open(c.db)
  const clock = new HybridClock(self)
  for (const entry of store.all()) observeAll(clock, entry)
  const connected = (): string[] => c.capabilities.peers().map(p => p.peerId)
  const presence = new PeerPresence(self, connected)
  const library = new Library({
    store,
    clock,
    links: new JobLinks(c.db),
    blobStore: c.blobStore,
    blobs: c.blobs,
    coordinator: c.coordinator,
    self,
    livePeers: () => presence.reachable(),
    classify: async (path, name) => {
      const url = c.config().classifyUrl
      return url == null ? undefined : await classifyByService(url, path, name)
    }
  })
  const receive = async (entries: LibraryEntry[]): Promise<void> => {
    for (const entry of entries) observeAll(clock, entry)
    await store.merge(entries)
  }
  const gossip = new LibraryGossip({ pubsub: c.libp2p.services.pubsub, changes: store, receive })
  gossip.start()
  const sync = new LibrarySync({
    handle: c.libp2p.handle.bind(c.libp2p),
    unhandle: c.libp2p.unhandle.bind(c.libp2p),
    dialProtocol: c.libp2p.dialProtocol.bind(c.libp2p),
    entries: () => store.all(),
    receive
  })
  await sync.start()
  const onJoined = (evt: Event): void => {
    const { peerId } = (evt as CustomEvent<{ peerId: string }>).detail
    sync.pull(peerId).catch(err => { log('reading the library of %s failed %e', peerId, err) })
  }
  c.capabilities.addEventListener('peer:joined', onJoined)
  const replicator = new BlobReplicator({
    self,
    store,
    presence,
    has: async hash => c.blobStore.has(hash),
    fetch: async (peer, file) => { await c.blobs.fetch(peerIdFromString(peer), file.hash, { expectedSize: file.size }) },
    hasRoom: async bytes => {
      const disk = await statfs(c.dataDir)
      return disk.bavail * disk.bsize - bytes > c.minFreeDiskBytes()
    },
    config: c.config
  })
  replicator.start()
  const onJob = (evt: Event): void => {
    const job = (evt as CustomEvent<JobRecord>).detail
    if (!TERMINAL_JOB_STATES.includes(job.state)) return
    library.jobEnded(job).catch(err => { log.error('adding the outputs of job %s to the library failed %e', job.id, err) })
  }
  c.coordinator.addEventListener('job', onJob)
  const paths = new WatchPaths(c.db)
  const folders = new Set<WatchFolder>()
  const watchFolder = async (spec: WatchSpec, onEvent: (event: WatchEvent) => void): Promise<{ stop(): Promise<void> }> => {
    const folder = new WatchFolder(spec, { library, paths }, onEvent)
    await folder.start()
    folders.add(folder)
    return { stop: async () => { folders.delete(folder); await folder.stop() } }
  }
  for (const spec of c.watches) {
    await watchFolder(spec, event => { log('watch %s: %s %s %s', spec.dir, event.file, event.outcome, event.reason ?? event.jobs?.join(', ') ?? '') })
  }
  return {
    library,
    sync,
    replicator,
    watch: watchFolder,
    async stop () {
      for (const folder of folders) await folder.stop()
      c.coordinator.removeEventListener('job', onJob)
      c.capabilities.removeEventListener('peer:joined', onJoined)
      await replicator.stop()
      gossip.stop()
      await sync.stop()
    }
  }
}

/** This peer's next edit orders after every edit of the entry it has seen. */
function observeAll (clock: HybridClock, entry: LibraryEntry): void {
  const stamps = [entry.created, entry.name.at, entry.author.at, entry.license.at, entry.source.at, entry.removed.at, ...Object.values(entry.tags).flatMap(t => t.added.concat(t.removed))]
  clock.observe(stamps.reduce((a, b) => a > b ? a : b))
}
