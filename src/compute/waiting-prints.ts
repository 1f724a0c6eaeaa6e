import { compareQueueKeys, queueKeyOfSpec } from '../jobs/print-queue-order.js'
import { RecentMap } from '../store/recent-map.js'
import type { Award, StageSpec } from '../../protocols/market.js'
import type { Refusal } from '../jobs/job.js'
import type { JobsTopic } from '../market/jobs-topic.js'

/**
 * Longer than the longest a waiting stage goes without announcing itself again (the requester's 60 s), so a
 * print still waiting is never forgotten; a print whose requester died is, after this.
 */
const FORGET_AFTER_MS = 90_000
/** A mesh's waiting prints; more are ignored until some are awarded or forgotten. */
const MAX_WAITING = 10_000

/**
 * The print stages of the whole mesh that wait for a printer, as their requesters announce them, each with its
 * place in the queue (from its job's record). A printer takes them in that order: it refuses a print, for now,
 * while one ahead of it waits that it could take instead.
 */
export class WaitingPrints {
  private readonly waiting = new Map<string, { spec: StageSpec, at: number }>()
  /** The last attempt of each stage awarded: gossip may bring a stage's announcement after its award. */
  private readonly awards = new RecentMap<string, number>(MAX_WAITING)

  /**
   * `topic` hands it the jobs topic's announcements (each from the requester it names) and awards. `self` is this
   * node's peer id: its own waiting prints are in its job store, and its announcements of them can come back to it
   * from before a restart, when it can no longer see its awards that took them out.
   */
  constructor (topic: Pick<JobsTopic, 'onAnnounce' | 'onAward'>, private readonly self: string) {
    topic.onAnnounce((spec, from) => { this.announced(spec, from) })
    topic.onAward((award, from) => { this.awarded(award, from) })
  }

  /** The waiting prints, first in the queue first. */
  list (): StageSpec[] {
    this.forget()
    return [...this.waiting.values()].map(w => w.spec).sort((a, b) => compareQueueKeys(queueKeyOfSpec(a), queueKeyOfSpec(b)))
  }

  /**
   * Null when this node may take the print as far as the queue goes; else why not for now: it is held, or a
   * print ahead of it waits that `couldTake` says a printer here could take instead. Asked for bids and offers
   * alike; only announcements add to the queue (an offer comes after its award took the stage out).
   */
  refusal (spec: StageSpec, couldTake: (other: StageSpec) => boolean): Refusal | null {
    if (spec.kind !== 'print') return null
    if (spec.held === true) return { reason: 'held in the print queue by its submitter', busy: true }
    const key = queueKeyOfSpec(spec)
    const ahead = this.list().find(other => other.held !== true && compareQueueKeys(queueKeyOfSpec(other), key) < 0 && couldTake(other))
    if (ahead == null) return null
    return { reason: `keeps its printer for job ${ahead.jobId}, ahead in the print queue`, busy: true }
  }

  private seen (spec: StageSpec): void {
    const key = `${spec.jobId}:${spec.index}`
    if (!this.waiting.has(key) && this.waiting.size >= MAX_WAITING) return
    this.waiting.set(key, { spec, at: Date.now() })
  }

  private forget (): void {
    const now = Date.now()
    for (const [key, w] of this.waiting) if (now - w.at > FORGET_AFTER_MS) this.waiting.delete(key)
  }

  private announced (spec: StageSpec, from: string): void {
    if (spec.kind !== 'print' || from === this.self) return
    if ((this.awards.get(`${from}/${spec.jobId}:${spec.index}`) ?? 0) < spec.attempt) this.seen(spec)
  }

  private awarded ({ jobId, index, attempt }: Award, from: string): void {
    this.awards.set(`${from}/${jobId}:${index}`, attempt)
    if (this.waiting.get(`${jobId}:${index}`)?.spec.requester === from) this.waiting.delete(`${jobId}:${index}`)
  }
}
