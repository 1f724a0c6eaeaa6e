import { logger } from '@libp2p/logger'
import { TERMINAL_JOB_STATES } from '../jobs/job.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { BlobsConfig } from '../config/node-config.js'
import type { JobStore } from '../store/job-store.js'

const log = logger('meshnode:blob-gc')
const GC_INTERVAL_MS = 10 * 60_000

/**
 * Collects old blobs by the config's age and size limits, at start and every ten minutes, never touching
 * the files of jobs still running here. Blobs an executor is working on were used moments ago, so the
 * least-recently-used order reaches them last.
 */
export function startBlobGc (store: BlobStore, jobs: JobStore, config: () => BlobsConfig): { stop(): void } {
  const collect = async (): Promise<void> => {
    const keep = new Set<string>()
    for (const job of await jobs.list()) {
      if (TERMINAL_JOB_STATES.includes(job.state)) continue
      for (const ref of [job.input, ...job.extra, ...job.stages.flatMap(s => [s.input, s.output])]) if (ref != null) keep.add(ref.hash)
    }
    const { maxAgeMs, maxTotalBytes } = config()
    const result = await store.gc({ maxAgeMs, maxTotalBytes, keep })
    if (result.removed.length > 0) log('collected %d blobs, %d bytes; %d bytes remain', result.removed.length, result.freedBytes, result.remainingBytes)
  }
  const run = (): void => { collect().catch(err => log.error('blob collection failed %e', err)) }
  run()
  const timer = setInterval(run, GC_INTERVAL_MS)
  timer.unref()
  return { stop: () => { clearInterval(timer) } }
}
