import type { BlobStore } from '../../blobs/blob-store.js'
import type { MethodTable } from '../../api/method-table.js'
import type { KeptFiles } from './kept-files.js'
import type { LastJobs } from './last-jobs.js'
import type { PrintSubmitter } from './print-submit.js'

/** What the gateway's routes use: the node's methods and blob store, and the gateway's own files and jobs. */
export interface GatewayRoutes {
  methods: Pick<MethodTable, 'call' | 'authorize'>
  blobStore: Pick<BlobStore, 'write' | 'has' | 'maxBlobBytes'>
  kept: KeptFiles
  lastJobs: Pick<LastJobs, 'of'>
  submitter: Pick<PrintSubmitter, 'print'>
  /** The gateway's own URL, for links when the client's Host header cannot serve. */
  url: () => string
}
