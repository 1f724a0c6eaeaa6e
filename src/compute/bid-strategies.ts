import { statfs } from 'node:fs/promises'
import { ANY_PEER, printTrust, type NodeConfig } from '../config/node-config.js'
import type { StageSpec } from '../../protocols/market.js'
import type { Executor } from '../executors/executor.js'
import type { Refusal } from '../jobs/job.js'
import { UNKNOWN_RUN_MS } from '../market/constants.js'

/** Can this node run the stage at all? `null` means yes. */
export type SemanticStrategy = (spec: StageSpec) => Refusal | null

export interface Load {
  queued: number
  running: number
}

export interface ResourceVerdict {
  accept: boolean
  reason: string
  etaMs: number
  busy: boolean
}

export function offersStage (config: () => NodeConfig): SemanticStrategy {
  return (spec) => {
    const offers = config().offers
    return offers == null || offers.includes(spec.kind) ? null : { reason: `does not offer ${spec.kind} (offers ${offers.join(', ') || 'nothing'})` }
  }
}

export function hasTool (executors: () => Executor[], printers: () => string[]): SemanticStrategy {
  return (spec) => {
    if (spec.kind === 'print') return printers().length > 0 ? null : { reason: 'has no printer' }
    return executors().some(e => e.tool.stage === spec.kind) ? null : { reason: `has no tool for ${spec.kind}` }
  }
}

/**
 * Compute stages come from any mesh member by default; prints from the peers `printTrust` names. A trust list
 * names peers by peer id, or by name as pinned to the peer id first seen with it.
 */
export function trustsRequester (config: () => NodeConfig, self: string, pinnedPeer: (name: string) => string | undefined = () => undefined): SemanticStrategy {
  return (spec) => {
    if (spec.requester === self) return null
    const allowed = spec.kind === 'print' ? printTrust(config()) : config().trust.submit
    if (allowed.includes(ANY_PEER) || allowed.includes(spec.requester)) return null
    if (allowed.some(entry => pinnedPeer(entry) === spec.requester)) return null
    const who = spec.requesterName !== '' ? `${spec.requesterName} (${spec.requester})` : spec.requester
    return { reason: spec.kind === 'print' ? `does not take prints from ${who} (see trust.print, --trust-print)` : `does not take jobs from ${who} (see trust.submit, --trust-submit)` }
  }
}

export function firstRefusal (strategies: SemanticStrategy[], spec: StageSpec): Refusal | null {
  for (const strategy of strategies) {
    const refusal = strategy(spec)
    if (refusal != null) return refusal
  }
  return null
}

/**
 * Should it, given its load? Refuses when the queue is full; otherwise estimates when the stage would finish
 * here from the stages ahead of it and the run times seen so far. A node that has never run the kind and has
 * a free slot bids to finish at once: it would otherwise lose every round to peers that have a history, and
 * never get one (a new peer sat idle through the first 2 s of a batch of 100 renders).
 */
export function resourceVerdict (load: Load, maxConcurrent: number, typicalMs: number | undefined): ResourceVerdict {
  const waiting = load.queued + load.running
  if (waiting >= maxConcurrent * 4) return { accept: false, reason: `queue full (${waiting} stages)`, etaMs: 0, busy: true }
  if (typicalMs === undefined && waiting < maxConcurrent) return { accept: true, reason: '', etaMs: 0, busy: false }
  const rounds = Math.floor(waiting / maxConcurrent) + 1
  return { accept: true, reason: '', etaMs: Math.round(rounds * (typicalMs ?? UNKNOWN_RUN_MS)), busy: false }
}

/** Bytes an unprivileged writer may still use on the file system that holds `dir`. */
export async function freeDiskBytes (dir: string): Promise<number> {
  const fs = await statfs(dir)
  return fs.bavail * fs.bsize
}

/**
 * Should it, given its disk? A stage fetches its input and writes an output, often about as big, beside the
 * blob store; the node keeps `floorBytes` free on top for its own database, which must never fill up. Low
 * space is a refusal for now (busy): blob gc or an operator may free some.
 */
export function diskRefusal (freeBytes: number, floorBytes: number, inputBytes: number): Refusal | null {
  const needed = floorBytes + 2 * inputBytes
  if (freeBytes >= needed) return null
  const input = inputBytes > 0 ? ` plus twice the input (${size(inputBytes)})` : ''
  return { reason: `low on disk: ${size(freeBytes)} free, keeps ${size(floorBytes)} free${input}`, busy: true }
}

/** Rounded down, so a disk never reads as having more free than it has. */
function size (bytes: number): string {
  const mib = bytes / (1024 * 1024)
  if (mib >= 10) return `${Math.floor(mib)} MiB`
  if (mib >= 1) return `${Math.floor(mib * 10) / 10} MiB`
  return bytes >= 1024 ? `${Math.floor(bytes / 1024)} KiB` : `${bytes} bytes`
}

/**
 * Run times per stage kind, as a moving average, so bids carry an honest finish time: for the kind as a whole
 * (which orders the bids), and for the kind at about an input's size, which alone is shown to a user as an
 * estimate. A render of a big design is not a render of a small one: an estimate from the small ones said
 * "~248 ms" for two minutes' work.
 */
export class RunHistory {
  private readonly typical = new Map<string, number>()

  record (kind: string, ms: number, inputBytes = 0): void {
    average(this.typical, kind, ms)
    average(this.typical, sizedKey(kind, inputBytes), ms)
  }

  /** Undefined until this node has run the kind once. */
  typicalMs (kind: string): number | undefined {
    return this.typical.get(kind)
  }

  /** Undefined until this node has run the kind on an input within the same factor of four in size. */
  typicalAtSize (kind: string, inputBytes: number): number | undefined {
    return this.typical.get(sizedKey(kind, inputBytes))
  }
}

function average (typical: Map<string, number>, key: string, ms: number): void {
  const before = typical.get(key)
  typical.set(key, before == null ? ms : before * 0.7 + ms * 0.3)
}

/** Sizes in bands of a factor of four: 1-3 KiB, 4-15 KiB, 16-63 KiB, ... */
function sizedKey (kind: string, inputBytes: number): string {
  return `${kind}\0${Math.floor(Math.log2(Math.max(1, inputBytes)) / 2)}`
}
