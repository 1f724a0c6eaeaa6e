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
 * Where a requester keeps its jobs. Every change is conditional on the revision the caller read, and is
 * written together with the event that explains it, so history and state never disagree.
 */
export interface JobStore {
  create(job: JobRecord, event: Omit<JobEvent, 'seq' | 'at'>): Promise<void>
  get(id: string): Promise<JobRecord | undefined>
  /** Applies `change` to the job at revision `expectedRev`; a newer revision throws ConflictError. */
  update(id: string, expectedRev: number, change: (job: JobRecord) => void, events?: Array<Omit<JobEvent, 'seq' | 'at'>>): Promise<JobRecord>
  list(): Promise<JobRecord[]>
  events(id: string, afterSeq?: number): Promise<JobEvent[]>
}
