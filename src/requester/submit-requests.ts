import { createHash } from 'node:crypto'
import { KeyedLock } from '../store/keyed-lock.js'
import type { JobOptions } from '../jobs/job.js'
import type { JobStore, SubmitOrigin } from '../store/job-store.js'

export interface SubmitRequest {
  files: string[]
  extra: string[]
  pipeline?: string[]
  options: JobOptions
  /**
   * The caller's id for this request, the same on every retry of it. One id covers a whole batch: each file's
   * job is recorded under the id and the file's index, so a retry after a batch half stored makes only the
   * jobs that are missing.
   */
  requestId?: string
}

/**
 * How long a request id is remembered. A CLI retries within seconds; a day also covers a caller that retries
 * after the daemon was down overnight, and bounds the records to a day of submits.
 */
export const REQUEST_ID_TTL_MS = 24 * 3600_000

export class RequestIdReusedError extends Error {
  constructor (requestId: string) {
    super(`request id ${requestId} was already used for a different submit (other files, pipeline or options); send a new id`)
    this.name = 'RequestIdReusedError'
  }
}

/** The jobs earlier attempts of a request stored, by file index, and how to record the jobs this attempt makes. */
export interface Attempt {
  earlier: Map<number, string>
  originOf(index: number): SubmitOrigin | undefined
}

/**
 * Makes submits idempotent: the attempts of one request id run one after another (a retry that comes while the
 * first attempt is still importing files waits for it), and each learns which of its files already are jobs.
 */
export class SubmitRequests {
  private readonly store: JobStore
  private readonly lock = new KeyedLock()

  constructor (store: JobStore) {
    this.store = store
  }

  async run<T> (request: SubmitRequest, submit: (attempt: Attempt) => Promise<T>): Promise<T> {
    const { requestId } = request
    if (requestId == null) return await submit({ earlier: new Map(), originOf: () => undefined })
    return await this.lock.run(requestId, async () => {
      await this.store.forgetSubmitsBefore(Date.now() - REQUEST_ID_TTL_MS)
      const digest = requestDigest(request)
      const earlier = await this.store.submittedFor(requestId)
      if (earlier.some(e => e.digest !== digest)) throw new RequestIdReusedError(requestId)
      return await submit({ earlier: new Map(earlier.map(e => [e.index, e.jobId])), originOf: index => ({ requestId, index, digest }) })
    })
  }
}

/** The same for the same request whatever order its object keys came in. */
function requestDigest (request: SubmitRequest): string {
  const { files, extra, pipeline, options } = request
  return createHash('sha256').update(canonicalJson({ files, extra, pipeline: pipeline ?? null, options })).digest('hex')
}

function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
