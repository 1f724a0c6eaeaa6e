import { ConflictError, JobNotFoundError, type JobStore, type SubmitOrigin, type SubmittedJob } from './job-store.js'
import type { JobEvent, JobRecord } from '../jobs/job.js'
import type { MeshDb } from './open-db.js'
import { KeyedLock } from './keyed-lock.js'
import { RecentMap } from './recent-map.js'

const seqKey = (n: number): string => n.toString().padStart(12, '0')
/** The key prefix of a job's events or a request's jobs; "!" is escaped so no id's range can hold another id's keys. */
const eventPrefix = (id: string): string => `${id.replaceAll('%', '%25').replaceAll('!', '%21')}!`

/**
 * A submit request's record: the request id, then the file's index. The time index beside it orders the same
 * keys by when they were stored, so expired ones are found without a scan.
 */
const submitKey = (origin: SubmitOrigin): string => eventPrefix(origin.requestId) + seqKey(origin.index)
const timeKey = (at: number): string => at.toString().padStart(15, '0')
/** Expired request records are deleted this many to a write. */
const FORGET_CHUNK = 1000

/** How many job records stay in memory after a read or write: the jobs being worked on, with room to spare. */
const RECENT_JOBS = 512

/**
 * JobStore on LevelDB: one record per job, its events beside it, written in one atomic batch. Only this process
 * writes the database (LevelDB locks it), so the records read or written last are kept in memory and served
 * from there: a job's every step reads it first, and under load a LevelDB read waits its turn in libuv's
 * thread pool for milliseconds.
 */
export class LevelJobStore implements JobStore {
  private readonly db: MeshDb
  private readonly recent = new RecentMap<string, JobRecord>(RECENT_JOBS)
  private readonly jobs
  private readonly seqs = new Map<string, number>()
  private readonly events_
  private readonly submits
  private readonly submitsByTime
  /** Updates of one job are serialised in this process so a read-check-write cannot interleave. */
  private readonly locks = new KeyedLock()
  /** Likewise the creation of the job for one file of one submit request. */
  private readonly requestLocks = new KeyedLock()

  constructor (db: MeshDb) {
    this.db = db
    this.jobs = db.sublevel<string, JobRecord>('jobs', { valueEncoding: 'json' })
    this.events_ = db.sublevel<string, JobEvent>('job-events', { valueEncoding: 'json' })
    this.submits = db.sublevel<string, SubmittedJob>('submit-requests', { valueEncoding: 'json' })
    this.submitsByTime = db.sublevel<string, string>('submit-requests-by-time', { valueEncoding: 'utf8' })
  }

  async create (job: JobRecord, event: Omit<JobEvent, 'seq' | 'at'>, origin?: SubmitOrigin): Promise<void> {
    const key = origin == null ? undefined : submitKey(origin)
    const write = async (): Promise<void> => {
      if ((await this.jobs.get(job.id)) !== undefined) throw new ConflictError(`job ${job.id} exists`)
      const earlier = key == null ? undefined : await this.submits.get(key)
      if (origin != null && earlier !== undefined) throw new ConflictError(`file ${origin.index} of request ${origin.requestId} is job ${earlier.jobId} already`)
      const at = Date.now()
      const record = { ...structuredClone(job), rev: 1 }
      await this.db.batch([
        { type: 'put', sublevel: this.jobs, key: job.id, value: record },
        { type: 'put', sublevel: this.events_, key: eventPrefix(job.id) + seqKey(1), value: { ...event, seq: 1, at } },
        ...(origin == null || key == null
          ? []
          : [
              { type: 'put' as const, sublevel: this.submits, key, value: { ...origin, jobId: job.id, at } },
              { type: 'put' as const, sublevel: this.submitsByTime, key: `${timeKey(at)}!${key}`, value: key }
            ])
      ])
      this.seqs.set(job.id, 1)
      this.recent.set(job.id, record)
    }
    // A file of a request makes one job: under the request's lock too, so two attempts cannot both find none.
    await this.locks.run(job.id, async () => key == null ? await write() : await this.requestLocks.run(key, write))
  }

  async submittedFor (requestId: string): Promise<SubmittedJob[]> {
    return this.submits.values({ gt: eventPrefix(requestId), lt: `${eventPrefix(requestId)}~` }).all()
  }

  async forgetSubmitsBefore (time: number): Promise<number> {
    let forgotten = 0
    for (;;) {
      const expired = await this.submitsByTime.keys({ lt: timeKey(time), limit: FORGET_CHUNK }).all()
      if (expired.length === 0) return forgotten
      await this.db.batch(expired.flatMap(key => [
        { type: 'del' as const, sublevel: this.submitsByTime, key },
        { type: 'del' as const, sublevel: this.submits, key: key.slice(key.indexOf('!') + 1) }
      ]))
      forgotten += expired.length
    }
  }

  async get (id: string): Promise<JobRecord | undefined> {
    const kept = this.recent.get(id)
    return kept !== undefined ? structuredClone(kept) : await this.jobs.get(id)
  }

  async update (id: string, expectedRev: number, change: (job: JobRecord) => void, events: Array<Omit<JobEvent, 'seq' | 'at'>> = []): Promise<JobRecord> {
    return this.locks.run(id, async () => {
      const job = await this.read(id)
      if (job === undefined) throw new JobNotFoundError(id)
      if (job.rev !== expectedRev) throw new ConflictError(`job ${id} is at revision ${job.rev}, not ${expectedRev}`)
      const next: JobRecord = structuredClone(job)
      change(next)
      next.rev = job.rev + 1
      next.updatedAt = Date.now()
      const last = events.length > 0 ? await this.lastSeq(id) : 0
      await this.db.batch([
        { type: 'put', sublevel: this.jobs, key: id, value: next },
        ...events.map((event, i) => ({
          type: 'put' as const,
          sublevel: this.events_,
          key: eventPrefix(id) + seqKey(last + i + 1),
          value: { ...event, seq: last + i + 1, at: Date.now() }
        }))
      ])
      if (events.length > 0) this.seqs.set(id, last + events.length)
      this.recent.set(id, next)
      return structuredClone(next)
    })
  }

  async list (): Promise<JobRecord[]> {
    const jobs: JobRecord[] = []
    for await (const job of this.jobs.values()) jobs.push(job)
    return jobs.sort((a, b) => a.createdAt - b.createdAt)
  }

  async events (id: string, afterSeq = 0): Promise<JobEvent[]> {
    const events: JobEvent[] = []
    for await (const event of this.events_.values({ gt: eventPrefix(id) + seqKey(afterSeq), lt: `${eventPrefix(id)}~` })) events.push(event)
    return events
  }

  /**
   * The stored record, never handed out (callers get copies). Only called under the job's lock: a read that
   * raced a write could otherwise keep the older record.
   */
  private async read (id: string): Promise<JobRecord | undefined> {
    const kept = this.recent.touch(id)
    if (kept !== undefined) return kept
    const job = await this.jobs.get(id)
    if (job !== undefined) this.recent.set(id, job)
    return job
  }

  /** The last event number of a job: read from LevelDB once, then kept, since only this store writes events. */
  private async lastSeq (id: string): Promise<number> {
    const known = this.seqs.get(id)
    if (known != null) return known
    let last = 0
    for await (const event of this.events_.values({ gt: eventPrefix(id), lt: `${eventPrefix(id)}~`, reverse: true, limit: 1 })) last = event.seq
    this.seqs.set(id, last)
    return last
  }
}
