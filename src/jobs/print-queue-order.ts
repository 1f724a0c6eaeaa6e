import type { StageSpec } from '../../protocols/market.js'
import type { JobRecord } from './job.js'

export const PRIORITIES = ['high', 'normal', 'low'] as const
export type Priority = typeof PRIORITIES[number]
/** Where `meshnode queue move` put a job: ahead of every priority, or behind them all. */
export type QueuePin = 'top' | 'bottom'

/**
 * A waiting print's place in the mesh's print queue, from its job's own record (so every peer orders alike, and
 * a restart changes nothing): moved to the top first, then by priority, then moved to the bottom; within each,
 * by rank (when submitted, or when moved), then by job id.
 */
export interface QueueKey {
  bucket: number
  rank: number
  jobId: string
}

const BUCKET = { top: 0, high: 1, normal: 2, low: 3, bottom: 4 } as const

export function isPriority (value: unknown): value is Priority {
  return typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value)
}

export function queueKeyOfJob (job: Pick<JobRecord, 'id' | 'createdAt' | 'options' | 'queuePin' | 'rank'>): QueueKey {
  return keyOf(job.id, job.options.priority, job.queuePin, job.rank ?? job.createdAt)
}

/** The key a stage's announcement carries; values no requester of ours sends order as a plain normal job. */
export function queueKeyOfSpec (spec: Pick<StageSpec, 'jobId' | 'priority' | 'rank' | 'createdAt'> & { pin?: string }): QueueKey {
  const [priority, pin] = splitPriority(spec.priority)
  const rank = Number.isFinite(spec.rank) ? spec.rank as number : Number.isFinite(spec.createdAt) ? spec.createdAt as number : 0
  return keyOf(spec.jobId, priority, pin, rank)
}

/** The priority field of an announcement: `high`, or `high@top` for a job moved to the top (see queueKeyOfSpec). */
export function announcedPriority (job: Pick<JobRecord, 'options' | 'queuePin'>): string {
  const priority = job.options.priority ?? 'normal'
  return job.queuePin === undefined ? priority : `${priority}@${job.queuePin}`
}

function splitPriority (value: string | undefined): [Priority | undefined, QueuePin | undefined] {
  const [priority, pin] = (value ?? '').split('@')
  return [isPriority(priority) ? priority : undefined, pin === 'top' || pin === 'bottom' ? pin : undefined]
}

function keyOf (jobId: string, priority: Priority | undefined, pin: QueuePin | undefined, rank: number): QueueKey {
  return { bucket: BUCKET[pin ?? priority ?? 'normal'], rank, jobId }
}

/** Negative when `a` is ahead of `b`. */
export function compareQueueKeys (a: QueueKey, b: QueueKey): number {
  if (a.bucket !== b.bucket) return a.bucket - b.bucket
  if (a.rank !== b.rank) return a.rank - b.rank
  return a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0
}

/** The rank of a job moved now: the last moved to the top is first, the last moved to the bottom is last. */
export function rankWhenMoved (pin: QueuePin, now: number): number {
  return pin === 'top' ? -now : now
}
