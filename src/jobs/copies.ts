import { TERMINAL_JOB_STATES, type FileRef, type JobRecord, type JobState } from './job.js'

/** Most copies one submit may ask for: a farm's day of one part, not a typo's thousand. */
export const MAX_COPIES = 100

/** A submit's `--copies N` with N > 1: one render and one slice, then N print jobs of the G-code. */
export function copiesOf (job: Pick<JobRecord, 'options'>): number {
  return job.options.copies ?? 1
}

/**
 * The stages the job itself runs when it makes copies: the pipeline up to its print, which each copy runs.
 * Throws, naming the option, when the pipeline does not end in a print.
 */
export function stagesBeforeCopies (pipeline: string[], copies: number | undefined): string[] {
  if (copies === undefined || copies === 1) return pipeline
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES) throw new Error(`copies must be a whole number from 1 to ${MAX_COPIES}, not ${copies}`)
  if (pipeline.at(-1) !== 'print') throw new Error(`copies are prints: the pipeline (${pipeline.join(',')}) must end in print`)
  return pipeline.slice(0, -1)
}

/** The id of copy `n` (1-based): derived, so a requester that restarts while it makes them never makes one twice. */
export function copyId (parent: string, n: number): string {
  return `${parent}-${n}`
}

/** Copy `n` of `parent`: a print job of the file the parent made, with the parent's options. */
export function copyJob (parent: JobRecord, n: number, gcode: FileRef, now: number): JobRecord {
  const { copies, notify, ...options } = parent.options
  return {
    id: copyId(parent.id, n),
    requester: parent.requester,
    requesterName: parent.requesterName,
    createdAt: now,
    updatedAt: now,
    state: 'running',
    input: gcode,
    extra: [],
    options,
    stages: [{ index: 0, kind: 'print', state: 'pending', attempt: 1, token: 0, bids: [], input: gcode }],
    copyOf: parent.id,
    // The copies keep the job's place in the print queue.
    rank: parent.rank ?? parent.createdAt,
    ...(parent.queuePin === undefined ? {} : { queuePin: parent.queuePin }),
    ...(parent.held === true ? { held: true } : {}),
    rev: 0
  }
}

/** How the parent ends once every copy has: done if all printed, else failed if one failed, else cancelled. */
export function copiesOutcome (copies: JobRecord[]): JobState | undefined {
  if (copies.some(c => !TERMINAL_JOB_STATES.includes(c.state))) return undefined
  if (copies.every(c => c.state === 'done')) return 'done'
  return copies.some(c => c.state === 'failed') ? 'failed' : 'cancelled'
}

/** A copy that has not begun printing may still be called off with its job; one that has, prints on. */
export function copyNotStarted (copy: JobRecord): boolean {
  return !TERMINAL_JOB_STATES.includes(copy.state) && copy.stages.every(s => s.started !== true && s.state !== 'interrupted')
}
