/** A job as its requester keeps it: the pipeline, every stage's award and outcome, and its history. */

import type { GcodeFacts } from '../../protocols/market.js'
import type { Priority, QueuePin } from './print-queue-order.js'

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export type StageState = 'pending' | 'bidding' | 'awarded' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'

export interface FileRef {
  hash: string
  size: number
  /** A display name; never used as a path on another machine. */
  name: string
  /** Peer ids that hold the file and serve it. */
  holders: string[]
  /** A G-code's needs, read once by the peer that made or submitted it: they travel to the printers' bids. */
  gcode?: GcodeFacts
}

export interface BidRecord {
  attempt: number
  peerId: string
  peerName: string
  accept: boolean
  reason: string
  etaMs: number
  /** `etaMs` comes from the bidder's own runs of this kind of work at about this input size; only then is it shown. */
  etaKnown?: boolean
  cached: boolean
  /** The bidder already holds the stage's input: nothing to transfer. */
  holdsInput: boolean
  /** A refusal for now (queue full, printer busy): the stage waits rather than fails. */
  busy: boolean
}

export interface StageRecord {
  index: number
  kind: string
  state: StageState
  attempt: number
  /** The fencing token of the current award; every later award of the stage has a larger one. */
  token: number
  peerId?: string
  peerName?: string
  input?: FileRef
  output?: FileRef
  cached?: boolean
  tool?: string
  command?: string[]
  progress?: number
  bids: BidRecord[]
  leaseUntil?: number
  started?: boolean
  startedAt?: number
  finishedAt?: number
  error?: string
  /** What the executor did, signed with its key: a SignedProvenance (provenance.proto), base64. */
  provenance?: string
}

export interface JobOptions {
  params: Record<string, string>
  profile?: string
  printer?: string
  material?: string
  notify?: string
  /** Prints of the part: the job renders and slices once, then a copy job prints each (see copies.ts). */
  copies?: number
  /** Its place in the print queue among others: see print-queue-order.ts. Unset is normal. */
  priority?: Priority
}

export interface JobRecord {
  id: string
  requester: string
  requesterName: string
  createdAt: number
  updatedAt: number
  state: JobState
  /** The design (or STL, or G-code) and the files it includes. */
  input: FileRef
  extra: FileRef[]
  options: JobOptions
  stages: StageRecord[]
  /** Where the final output was written on the requester, once pulled. */
  result?: FileRef
  error?: string
  /** How this node last took the job up: what stops a job that kills the node from doing so on every start. */
  resume?: ResumeRecord
  /** The copy jobs printing this job's part, once it made the file they print. */
  copies?: string[]
  /** The job this one prints a copy for. */
  copyOf?: string
  /** Set by `meshnode queue move`: ahead of, or behind, every priority. */
  queuePin?: QueuePin
  /** Orders the job within its place in the queue; unset is its creation time. */
  rank?: number
  /** Its submitter holds its print back (`meshnode queue hold`): no printer takes it until released. */
  held?: boolean
  /** Grows with every stored change: updates are conditional on it. */
  rev: number
}

export interface ResumeRecord {
  /** Set when this node stopped cleanly while the job ran; a start that finds it unset follows a crash. */
  stoppedCleanly: boolean
  /** Stages done when the node last took the job up. */
  stagesDone: number
  /** Crashes of the node with a stage of the job under way, since the job last finished a stage. */
  crashes: number
}

export interface JobEvent {
  seq: number
  at: number
  type: string
  stage?: number
  peerId?: string
  message: string
}

export const TERMINAL_JOB_STATES: readonly JobState[] = ['done', 'failed', 'cancelled']
export const TERMINAL_STAGE_STATES: readonly StageState[] = ['done', 'failed', 'cancelled']

/** Why a node will not run a stage: the reason a user reads in `meshnode job`, and whether it may change. */
export interface Refusal {
  reason: string
  /** True when the same node may take the stage later (a printer that is busy or whose bed is occupied). */
  busy?: boolean
}
