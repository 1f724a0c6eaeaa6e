import { logger } from '@libp2p/logger'
import { TERMINAL_JOB_STATES } from '../jobs/job.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { BlobsConfig } from '../config/node-config.js'
import type { JobStore } from '../store/job-store.js'

const log = logger('meshnode:blob-gc')
const MAX_INTERVAL_MS = 10 * 60_000
const MIN_INTERVAL_MS = 1000

/**
 * Collects old blobs by the config's age and size limits, at start and then a few times per `maxAgeHours`
 * (at most every ten minutes), never touching the files of jobs still running here. The inputs and outputs of
 * jobs that are done, failed or cancelled age out like any other blob: a batch of failed tries of big files
 * left them on disk for ten minutes past their age at least, and much longer with a short age. Blobs an
 * executor is working on were used moments ago, so the least-recently-used order reaches them last.
 */
export function startBlobGc (store: BlobStore, jobs: JobStore, config: () => BlobsConfig, kept: () => Iterable<string> = () => []): { stop(): void } {
  const collect = async (): Promise<void> => {
    // Blobs another part keeps for good (a library entry's files) are never collected.
    const keep = new Set<string>(kept())
    for (const job of await jobs.list()) {
      if (TERMINAL_JOB_STATES.includes(job.state)) continue
      for (const ref of [job.input, ...job.extra, ...job.stages.flatMap(s => [s.input, s.output])]) if (ref != null) keep.add(ref.hash)
    }
    const { maxAgeMs, maxTotalBytes } = config()
    const result = await store.gc({ maxAgeMs, maxTotalBytes, keep })
    if (result.removed.length > 0) log('collected %d blobs, %d bytes; %d bytes remain', result.removed.length, result.freedBytes, result.remainingBytes)
  }
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const run = (): void => {
    collect().catch(err => log.error('blob collection failed %e', err)).finally(() => {
      if (stopped) return
      timer = setTimeout(run, gcInterval(config().maxAgeMs))
      timer.unref()
    })
  }
  run()
  return { stop: () => { stopped = true; clearTimeout(timer) } }
}

/** A blob outlives its age by at most a quarter of it. */
function gcInterval (maxAgeMs: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.floor(maxAgeMs / 4)))
}
