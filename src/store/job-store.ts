import type { JobEvent, JobRecord } from '../jobs/job.js'

export class ConflictError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConflictError'
  }
}

export class JobNotFoundError extends Error {
  constructor (id: string) {
    super(`no job ${id} on this node (see "meshnode jobs --all")`)
    this.name = 'JobNotFoundError'
  }
}

/**
 * The submit request a job was made for: the caller's request id and the file's place in that request. A
 * retried submit finds its jobs by it (see Coordinator.submit).
 */
export interface SubmitOrigin {
  requestId: string
  index: number
  /** A digest of the whole request: tells a retry from another request that reuses the id. */
  digest: string
}

/** A job a submit request made, as remembered for its retries. */
export interface SubmittedJob extends SubmitOrigin {
  jobId: string
  /** When the job was stored (ms since the epoch). */
  at: number
}

/**
 * Where a requester keeps its jobs. Every change is conditional on the revision the caller read, and is
 * written together with the event that explains it, so history and state never disagree.
 */
export interface JobStore {
  /** Stores a new job; with `origin`, the request that made it is recorded in the same atomic write. */
  create(job: JobRecord, event: Omit<JobEvent, 'seq' | 'at'>, origin?: SubmitOrigin): Promise<void>
  get(id: string): Promise<JobRecord | undefined>
  /** Applies `change` to the job at revision `expectedRev`; a newer revision throws ConflictError. */
  update(id: string, expectedRev: number, change: (job: JobRecord) => void, events?: Array<Omit<JobEvent, 'seq' | 'at'>>): Promise<JobRecord>
  list(): Promise<JobRecord[]>
  events(id: string, afterSeq?: number): Promise<JobEvent[]>
  /** The jobs stored for submit request `requestId`, by file index. */
  submittedFor(requestId: string): Promise<SubmittedJob[]>
  /** Forgets the request ids of jobs stored before `time` (the jobs stay); returns how many it forgot. */
  forgetSubmitsBefore(time: number): Promise<number>
}
