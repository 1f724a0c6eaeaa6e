import { logger } from '@libp2p/logger'
import { TERMINAL_JOB_STATES, type JobRecord } from '../jobs/job.js'
import { HybridClock } from './hlc.js'
import { JobLinks } from './job-links.js'
import { Library } from './library.js'
import { LibraryStore } from './library-store.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { CapabilityService } from '../capabilities/capability-service.js'
import type { Coordinator } from '../jobs/coordinator.js'
import type { MeshDb } from '../node/open-db.js'

const log = logger('meshnode:library')

export interface LibraryServiceComponents {
  db: MeshDb
  self: string
  capabilities: Pick<CapabilityService, 'peers'>
  blobStore: BlobStore
  blobs: Pick<BlobService, 'fetch'>
  coordinator: Coordinator
}

/** The library of this peer, opened, with jobs made from entries reporting their outputs back. */
export interface LibraryService {
  library: Library
  stop(): Promise<void>
}

export async function startLibrary (c: LibraryServiceComponents): Promise<LibraryService> {
  const store = await LibraryStore.open(c.db)
  const clock = new HybridClock(c.self)
  for (const entry of store.all()) clock.observe(entry.created)
  const library = new Library({
    store,
    clock,
    links: new JobLinks(c.db),
    blobStore: c.blobStore,
    blobs: c.blobs,
    coordinator: c.coordinator,
    self: c.self,
    livePeers: () => new Set(c.capabilities.peers().map(p => p.peerId))
  })
  const onJob = (evt: Event): void => {
    const job = (evt as CustomEvent<JobRecord>).detail
    if (!TERMINAL_JOB_STATES.includes(job.state)) return
    library.jobEnded(job).catch(err => { log.error('adding the outputs of job %s to the library failed %e', job.id, err) })
  }
  c.coordinator.addEventListener('job', onJob)
  return {
    library,
    async stop () {
      c.coordinator.removeEventListener('job', onJob)
    }
  }
}
