import { lstat, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { MarketRequest, MarketResponse, type Award, type Bid, type StageSpec } from '../../protocols/market.js'
import { diskRefusal, firstRefusal, freeDiskBytes, resourceVerdict, RunHistory, type SemanticStrategy } from './bid-strategies.js'
import { MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from '../market/constants.js'
import { prefetchInputs, runStage } from './stage-runner.js'
import type { Answer, DirectChannel, Request } from '../market/direct.js'
import type { JobsTopic } from '../market/jobs-topic.js'
import { inlineFiles, keepInlineFiles } from '../market/inline-blobs.js'
import { endLeftoverTools, type ToolStamp } from '../executors/tool-process.js'
import type { StageCache } from './stage-cache.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import { toolLimits, type NodeConfig } from '../config/node-config.js'
import type { Executor } from '../executors/executor.js'
import type { FileRef, Refusal } from '../jobs/job.js'
import type { MeshDb } from '../store/open-db.js'
import { Limit } from '../common/limit.js'
import { RecentMap } from '../store/recent-map.js'
import { signProvenance, stageProvenance } from '../provenance/stage-provenance.js'

const log = logger('meshnode:market:work')
/** Reported awards remembered, to answer an offer repeated after its result was taken. */
const REPORTED_MEMORY = 4096
/** How long a stopping node waits for its stages to end: those whose tool has ended keep the output and write it down. */
const STOP_WAIT_MS = 15_000
const INPUT_ERRORS = new Set(['ToolFailedError', 'ScadParameterError', 'UnsafeDesignError', 'UnsafeFileNameError', 'UnknownProfileError', 'UnsupportedInputError', 'GcodeRefusedError'])
/** Errors a tool throws before it does anything: the stage did not start, though its tool slot was taken. */
const NOT_STARTED_ERRORS = new Set(['PrinterNotReadyError'])
/**
 * How long an accepting bid answers an award. It counts as queued work for two bid windows only, but the award
 * comes after the requester's window (up to a minute) and its own writes, and an award that answers no bid of
 * this node is refused.
 */
const BID_ANSWERS_MS = 90_000
/** What this node names the entries of <dataDir>/work: a stage's folder, a resumed print's report. */
const WORK_ENTRY = /^[A-Za-z0-9-]{1,64}-(\d+-\d+|resumed-report\.json)$/

type WorkState = 'queued' | 'running' | 'finished' | 'failed' | 'revoked' | 'interrupted'

/** A stage this node accepted, kept in LevelDB from the moment it confirms the award until it is reported. */
interface WorkRecord {
  key: string
  spec: ReturnType<typeof specToJson>
  token: number
  state: WorkState
  output?: FileRef
  error?: string
  command?: string[]
  tool?: string
  cached?: boolean
  /** The tool began its work: a print that started and did not finish waits for an operator. */
  started?: boolean
  retryable?: boolean
  /** The requester wants the output itself (the last stage): it goes inline in the result if small. */
  wantOutput?: boolean
  acceptedAt: number
  /** The native tools of the run under way: a node restarted after a crash ends what is left of them. */
  tools?: ToolStamp[]
  /** What this node did for the stage, signed with its key (a SignedProvenance, base64): sent with the result. */
  provenance?: string
}

export interface WorkQueueComponents {
  db: Pick<MeshDb, 'sublevel'>
  /**
   * Prints' announcements come in here, and awards that settle the bids that lost; bids go to the requester over
   * `channel`, where the other stages are announced (and their awards told) to the peers a requester asks.
   */
  topic: Pick<JobsTopic, 'onAnnounce' | 'onAward'>
  channel: Pick<DirectChannel, 'on' | 'send'>
  blobs: BlobService
  store: BlobStore
  cache: StageCache
}

export interface WorkQueueInit {
  self: string
  selfName: string
  dataDir: string
  config(): NodeConfig
  /** The executor this node would use for a stage, or undefined when it has none. */
  executorFor(spec: StageSpec): Executor | undefined
  semantic: SemanticStrategy[]
  /**
   * Holds what a stage needs to itself (a printer) until `until` (ms since the epoch, Infinity by default) or
   * `release`: null once held, or why not. A bid holds it for the bid window, an award until the stage ends.
   */
  reserve(spec: StageSpec, until?: number): Refusal | null
  release(spec: Pick<StageSpec, 'jobId' | 'index'>): void
  /** Signs with this node's key: each finished stage's record of what was done (see stage-provenance.ts). */
  sign(bytes: Uint8Array): Promise<Uint8Array>
}

interface Running {
  abort: AbortController
  progress: number
  log: string[]
  started: boolean
  /** The tool ran to its end: the stage only has to keep the output and write its end down. */
  toolEnded: boolean
}

/** A stage this node holds an award for, queued or running, and the lease it keeps renewing for it. */
interface Held {
  running: Running
  lease: Lease
}

interface Lease {
  stop(): void
  /** Resolves once the requester confirms the award is still ours; throws once it is not, or the lease ran out. */
  confirm(): Promise<void>
}

/**
 * The executor side of the market: bids on announcements, confirms awards, runs the stages it holds with a
 * lease it keeps renewing, and reports each result until the requester has it.
 */
export class WorkQueue {
  private readonly init: WorkQueueInit
  private readonly work
  private readonly channel: WorkQueueComponents['channel']
  private readonly blobs: BlobService
  private readonly store: BlobStore
  private readonly cache: StageCache
  private readonly history = new RunHistory()
  private readonly queue: WorkRecord[] = []
  /** Stages taken from the queue: preparing, waiting for a tool slot, running their tool, or finishing. */
  private readonly running = new Map<string, Running>()
  /** The stages taken from the queue, until each has written its end down. */
  private readonly executing = new Set<Promise<void>>()
  /** At most `maxConcurrent` tools run at once; the stages around them do their other work meanwhile. */
  private readonly toolSlots: Limit
  private readonly held = new Map<string, Held>()
  /** The work folders of the stages this node holds (queued, running, or an interrupted print): all others go. */
  private readonly folders = new Set<string>()
  private stopped = false
  /** Accepting bids not yet awarded or lost, by stage, with when they were made, to whom, and for which stage (and attempt). */
  private readonly bidsOut = new Map<string, { at: number, requester: string, attempt: number, spec: StageSpec }>()
  /**
   * Awards whose result the requester has taken (key -> token), the latest REPORTED_MEMORY of them. Their work
   * records are gone, so without this an offer repeated while the result was on its way (the requester asks
   * the holder before re-awarding a late lease) was taken as new: the stage was set up again, its folder
   * emptied, and only the confirmation stopped the tool from running twice.
   */
  private readonly reported = new RecentMap<string, number>(REPORTED_MEMORY)
  /**
   * The token of the newest award of each stage with a work record. A superseded run still ends and writes its
   * record; under the stage's one key it must not overwrite (or, once reported, delete) the newer award's.
   */
  private readonly newest = new Map<string, number>()

  constructor (components: WorkQueueComponents, init: WorkQueueInit) {
    this.init = init
    this.work = components.db.sublevel<string, WorkRecord>('work', { valueEncoding: 'json' })
    this.channel = components.channel
    this.blobs = components.blobs
    this.store = components.store
    this.cache = components.cache
    this.toolSlots = new Limit(() => this.init.config().market.maxConcurrent)
    const { topic } = components
    // A bid goes to its requester alone: on the jobs topic every peer read and verified every bid.
    topic.onAnnounce(spec => {
      this.bid(spec)
        .then(async bid => this.channel.send(spec.requester, bidRequest(bid)))
        .catch(err => { log('bidding to %s failed %e', spec.requester, err) })
    })
    topic.onAward((award, from) => { this.settleBid(award, from) })
  }

  async start (): Promise<void> {
    this.channel.on(MarketRequest.Kind.OFFER, async (request, from) => this.onOffer(request, from))
    this.channel.on(MarketRequest.Kind.ANNOUNCE, async (request, from) => this.onAnnounce(request, from))
    this.channel.on(MarketRequest.Kind.AWARD, async (request, from) => {
      if (request.award != null) this.settleBid(request.award, from)
      return { status: MarketResponse.Status.OK, message: '' }
    })
    const leftoverTools: ToolStamp[] = []
    for await (const record of this.work.values()) {
      this.newest.set(record.key, record.token)
      if (record.state === 'queued' || (record.state === 'running' && record.spec.kind !== 'print')) {
        // The tool died with the node (what it started dies below, before any stage runs again); run it again
        // under the same award. The first renewal tells whether the requester still counts on us.
        leftoverTools.push(...(record.tools ?? []))
        record.tools = undefined
        record.state = 'queued'
        this.folders.add(folderName(record))
        this.hold(record)
        this.queue.push(record)
      } else if (record.state === 'running') {
        record.state = 'interrupted'
        record.error = 'the printer\'s node restarted during the print; an operator can resume it with "meshnode print resume"'
        await this.save(record)
        this.folders.add(folderName(record))
        this.report(record)
      } else if (record.state === 'interrupted') {
        this.folders.add(folderName(record))
      } else if (record.state === 'finished' || record.state === 'failed') {
        this.report(record)
      } else if (record.state === 'revoked') {
        // Kept while the node ran, to answer a repeated offer; a requester that asks now awards anew.
        await this.forget(record)
      }
    }
    // One pass over /proc for every stage that was running.
    await endLeftoverTools(leftoverTools)
    await this.sweep()
    this.pump()
  }

  /**
   * Ends the tools that are still running; a stage whose tool has ended keeps its output and writes its end down
   * before the node closes its database. Aborted instead, it would run its tool again after the restart.
   */
  async stop (): Promise<void> {
    this.stopped = true
    for (const running of this.running.values()) {
      if (!running.toolEnded) running.abort.abort(new Error('node stopping'))
    }
    for (const held of this.held.values()) held.lease.stop()
    let timer: NodeJS.Timeout | undefined
    const waited = new Promise<void>(resolve => { timer = setTimeout(resolve, STOP_WAIT_MS) })
    await Promise.race([Promise.allSettled(this.executing), waited])
    clearTimeout(timer)
  }

  /**
   * Stages queued or running here: what the capability record and bids report as load. A stage counts as
   * running while its tool runs, and as queued while it gets ready for its tool or finishes after it.
   */
  load (): { queued: number, running: number } {
    return { queued: this.queue.length + this.running.size - this.toolSlots.running, running: this.toolSlots.running }
  }

  /** The semantic strategies first, then the resource ones; a cached identical run bids to finish at once. */
  async bid (spec: StageSpec): Promise<Bid> {
    const base = { jobId: spec.jobId, index: spec.index, attempt: spec.attempt, bidderName: this.init.selfName, holdsInput: false, cached: false, etaMs: 0, etaKnown: false, busy: false }
    const key = `${spec.jobId}:${spec.index}`
    const admitted = this.admit(spec, key)
    if ('reason' in admitted) return { ...base, accept: false, reason: admitted.reason, busy: admitted.busy === true }
    // Promised before the checks below wait on the thread pool: bids for a burst of announcements are made side
    // by side, and each would otherwise still see the queue (and the printer) as it was before any of them (a
    // peer that queues 4 stages took 24).
    this.bidsOut.set(key, { at: Date.now(), requester: spec.requester, attempt: spec.attempt, spec })
    this.init.reserve(spec, Date.now() + 2 * this.init.config().market.bidWindowMs)
    // Asked together: each is a trip to the thread pool, and the requester waits for this answer.
    const [lowDisk, cached, holdsInput] = await Promise.all([
      this.diskRefusal(spec),
      this.cache.lookup(spec, admitted.executor.tool).then(hit => hit != null),
      spec.input != null ? this.store.has(spec.input.hash) : false
    ])
    if (lowDisk != null) {
      this.dropBid(key, spec)
      return { ...base, accept: false, reason: lowDisk.reason, busy: true }
    }
    return { ...base, accept: true, reason: `${admitted.executor.tool.name} ${admitted.executor.tool.version}`, etaMs: cached ? 0 : admitted.etaMs, etaKnown: !cached && admitted.etaKnown, holdsInput, cached }
  }

  /**
   * What a bid and an award must both pass, so that neither door lets in what the other would not: the semantic
   * strategies (trust, tool, printer), a tool to run it, and the queue cap counting the bids still open. A stage
   * held here already takes no more room when it is awarded again.
   */
  private admit (spec: StageSpec, key: string): Refusal | { executor: Executor, etaMs: number, etaKnown: boolean } {
    const refusal = firstRefusal(this.init.semantic, spec)
    if (refusal != null) return refusal
    const executor = this.init.executorFor(spec)
    if (executor == null) return { reason: `has no tool for ${spec.kind}` }
    const load = this.load()
    const queued = Math.max(0, load.queued - (this.held.has(key) ? 1 : 0)) + this.promised(spec)
    const atSize = this.history.typicalAtSize(spec.kind, spec.input?.size ?? 0)
    const verdict = resourceVerdict({ ...load, queued }, this.init.config().market.maxConcurrent, atSize ?? this.history.typicalMs(spec.kind))
    if (!verdict.accept) return { reason: verdict.reason, busy: true }
    return { executor, etaMs: verdict.etaMs, etaKnown: atSize != null }
  }

  /** The disk check of `admit`, apart because it waits on the thread pool. */
  private async diskRefusal (spec: StageSpec): Promise<Refusal | null> {
    // A file system that cannot say how full it is must not stop the node from working.
    const free = await freeDiskBytes(this.init.dataDir).catch((err: Error) => { log('reading the free space of %s failed %e', this.init.dataDir, err); return Infinity })
    return diskRefusal(free, this.init.config().market.minFreeDiskBytes, spec.input?.size ?? 0)
  }

  /** A bid that no longer stands: it stops counting as queued work, and lets go of what it held, unless the stage is held here. */
  private dropBid (key: string, spec: Pick<StageSpec, 'jobId' | 'index'>): void {
    this.bidsOut.delete(key)
    if (!this.held.has(key)) this.init.release(spec)
  }

  /**
   * A stage's award, as its requester announced it: a bid of ours that lost no longer holds a slot. Without
   * this, every lost bid counted as queued work for two bid windows, and a peer that lost a few rounds in a row
   * refused the next ones as full while its queue ran dry.
   *
   * A bid of ours that won keeps what it holds (a printer) until its offer comes: the announcement can come
   * before the offer, and on a loaded mesh the offer came after the bid's hold of two bid windows had lapsed,
   * once the stage had left the print queue; the printer then bid for the next print, took it, and declined
   * the one it had won, which started after prints behind it. Kept only while the stage would still be
   * admitted here (no print ahead of it that this printer could take).
   */
  settleBid (award: Pick<Award, 'jobId' | 'index' | 'winner'>, from: string): void {
    const key = `${award.jobId}:${award.index}`
    const bid = this.bidsOut.get(key)
    if (bid?.requester !== from) return
    if (award.winner !== this.init.self) this.dropBid(key, award)
    else if (!('reason' in this.admit(bid.spec, key))) this.init.reserve(bid.spec, bid.at + BID_ANSWERS_MS)
  }

  /** A requester asks this node to bid for one of its stages: the answer is the bid, refusal or not. */
  private async onAnnounce (request: MarketRequest, from: string): Promise<Answer> {
    const spec = request.stage as StageSpec
    if (spec.requester !== from) return { status: MarketResponse.Status.FORBIDDEN, message: 'only the job\'s requester announces its stages' }
    return { status: MarketResponse.Status.OK, message: '', bid: await this.bid(spec) }
  }

  /**
   * Accepting bids still open count as queued work: peers answer a burst of announcements at once, and
   * without this each would see itself idle and accept them all.
   */
  private promised (spec: StageSpec): number {
    const now = Date.now()
    const since = now - 2 * this.init.config().market.bidWindowMs
    let open = 0
    for (const [key, bid] of this.bidsOut) {
      if (bid.at < now - BID_ANSWERS_MS) this.bidsOut.delete(key)
      else if (bid.at >= since && key !== `${spec.jobId}:${spec.index}`) open++
    }
    return open
  }

  /**
   * An award: the bid it answers stops counting as queued work only once the stage is queued (or refused), so
   * a bid made while the award is taken in sees the stage one way or the other, never neither.
   */
  private async onOffer (request: MarketRequest, from: string): Promise<Answer> {
    const spec = request.stage as StageSpec
    const key = `${spec.jobId}:${spec.index}`
    try {
      return await this.takeOffer(request, from, spec, key)
    } finally {
      if (this.bidsOut.get(key)?.requester === from) this.dropBid(key, spec)
    }
  }

  /**
   * An award passes the admission a bid passes, and answers a bid of this node to that requester (or supersedes
   * an award of the stage it holds here): a mesh member that offers work it never announced is refused before
   * anything is read or written, and a flood of offers queues nothing.
   */
  private async takeOffer (request: MarketRequest, from: string, spec: StageSpec, key: string): Promise<Answer> {
    if (spec.requester !== from) return { status: MarketResponse.Status.FORBIDDEN, message: 'only the job\'s requester can award its stages' }
    if (this.reported.get(key) === request.token) return { status: MarketResponse.Status.OK, message: 'already finished and reported' }
    const bid = this.bidsOut.get(key)
    if (!(bid?.requester === from && bid.attempt === spec.attempt) && !this.newest.has(key)) {
      return { status: MarketResponse.Status.FORBIDDEN, message: `no bid of ${this.init.selfName} answers this award (attempt ${spec.attempt})` }
    }
    const existing = await this.work.get(key)
    if (existing != null && existing.spec.requester !== from) return { status: MarketResponse.Status.FORBIDDEN, message: 'the stage is another requester\'s' }
    if (existing != null && existing.token === request.token) {
      // The requester asks again when renewals were late: say whether this award is still being worked on.
      return existing.state === 'revoked'
        ? { status: MarketResponse.Status.REVOKED, message: `gave this award up: ${existing.error ?? ''}` }
        : { status: MarketResponse.Status.OK, message: 'already accepted' }
    }
    if (existing != null && existing.token > request.token) return { status: MarketResponse.Status.REVOKED, message: 'a newer award exists' }
    const admitted = this.admit(spec, key)
    const refusal = 'reason' in admitted ? admitted : await this.diskRefusal(spec) ?? this.init.reserve(spec)
    if (refusal != null) return { status: MarketResponse.Status.DECLINED, message: refusal.reason }
    const superseded = this.held.get(key)
    superseded?.running.abort.abort(new Error('superseded by a newer award'))
    if (superseded != null) this.release(key, superseded.running)
    const record: WorkRecord = { key, spec: specToJson(spec), token: request.token, state: 'queued', wantOutput: request.wantOutput, acceptedAt: Date.now() }
    this.newest.set(key, record.token)
    // Inputs that came inside the offer are kept before the stage can look for them; both writes are
    // synced before the answer, so they go to the disk together.
    await Promise.all([
      this.save(record),
      keepInlineFiles(this.store, [spec.input, ...spec.extra].filter(f => f != null), request.inline)
    ])
    this.folders.add(folderName(record))
    // The lease starts with the award, not with the run: a stage queued behind others must not lapse.
    this.hold(record)
    const queued = this.queue.findIndex(w => w.key === key)
    if (queued >= 0) await this.dropFolder(this.queue.splice(queued, 1)[0])
    this.queue.push(record)
    setImmediate(() => { this.pump() })
    const held = this.held.get(key)
    if (held != null && spec.input != null) {
      prefetchInputs(spec, { blobs: this.blobs, store: this.store, self: this.init.self, signal: held.running.abort.signal })
        .catch(err => { log('prefetching the inputs of %s failed %e', key, err) })
    }
    return { status: MarketResponse.Status.OK, message: 'accepted' }
  }

  /**
   * Takes stages from the queue: up to twice `maxConcurrent`, so the next stage of each slot gets its folder,
   * inputs and confirmation while the tool before it runs, and starts its own tool as soon as the slot frees.
   */
  private pump (): void {
    const max = this.init.config().market.maxConcurrent * 2
    while (!this.stopped && this.running.size < max && this.queue.length > 0) {
      const record = this.queue.shift() as WorkRecord
      const executing = this.execute(record)
        .catch(err => { log.error('stage %s failed unexpectedly %e', record.key, err) })
        .finally(() => { this.executing.delete(executing) })
      this.executing.add(executing)
    }
  }

  private async execute (record: WorkRecord): Promise<void> {
    const spec = specFromJson(record.spec)
    const running = this.held.get(record.key)?.running ?? this.hold(record)
    this.running.set(record.key, running)
    const began = Date.now()
    try {
      // Revoked (or superseded) while it waited in the queue.
      running.abort.signal.throwIfAborted()
      // Held since the award; asked again for a stage taken back in after a restart.
      const taken = this.init.reserve(spec)
      if (taken != null) throw new Error(taken.reason)
      const executor = this.init.executorFor(spec)
      if (executor == null) throw new Error(`this node no longer has a tool for ${spec.kind}`)
      record.tool = `${executor.tool.name} ${executor.tool.version}`
      const hit = await this.cache.lookup(spec, executor.tool)
      if (hit != null) {
        Object.assign(record, { state: 'finished', output: { ...hit, holders: [this.init.self] }, cached: true, command: [] })
      } else {
        const outcome = await runStage({
          spec,
          executor,
          workDir: join(this.workRoot(), folderName(record)),
          blobs: this.blobs,
          store: this.store,
          self: this.init.self,
          timeoutMs: this.init.config().market.toolTimeoutSec * 1000,
          limits: toolLimits(this.init.config()),
          signal: running.abort.signal,
          // An offer whose answer was lost (a cut link) is awarded again elsewhere; the tool must not run here too.
          beforeRun: async () => this.held.get(record.key)?.lease.confirm(),
          // Recorded as running only with the tool: a restarted node runs a stage that had not got that far
          // again, and takes a print that had as interrupted. The requester hears of a print's start before
          // it starts: a lapsed lease then means an interrupted print, never one to run elsewhere.
          inToolSlot: async (tool) => this.toolSlots.run(async () => {
            running.abort.signal.throwIfAborted()
            running.started = true
            record.started = true
            record.state = 'running'
            await Promise.all([this.save(record), spec.kind === 'print' ? this.held.get(record.key)?.lease.confirm() : undefined])
            const result = await tool()
            running.toolEnded = true
            return result
          }, running.abort.signal),
          onLog: (line) => { if (running.log.length < MAX_LOG_LINES) running.log.push(line.slice(0, MAX_LOG_LINE_CHARS)) },
          onProgress: (percent) => { running.progress = percent },
          onSpawn: async (stamp) => {
            record.tools = [...(record.tools ?? []), stamp]
            await this.save(record)
          }
        })
        this.history.record(spec.kind, Date.now() - began, spec.input?.size ?? 0)
        await this.cache.remember(spec, executor.tool, outcome.output)
        Object.assign(record, { state: 'finished', output: outcome.output, command: outcome.command, cached: false })
      }
      const made = stageProvenance({ spec, tool: executor.tool, output: record.output as FileRef, command: record.command ?? [], cached: record.cached === true, peerId: this.init.self, startedAt: began, finishedAt: Date.now() })
      record.provenance = Buffer.from(await signProvenance(made, this.init.sign)).toString('base64')
    } catch (err: any) {
      const revoked = running.abort.signal.aborted
      // A printer that refused the print had printed nothing: the stage goes back to bidding, not to an operator.
      const started = record.started === true && !NOT_STARTED_ERRORS.has(err.name)
      // A tool that rejects its input would reject it anywhere; anything else may succeed on another attempt.
      const retryable = !INPUT_ERRORS.has(err.name)
      // The requester takes any print that started and may be retried as interrupted (half a part is on the bed),
      // so this node must hold it as interrupted too, or the operator's resume and abandon find nothing to act on.
      const interrupted = err.name === 'PrintInterruptedError' || (spec.kind === 'print' && started && retryable && !String(err.message).includes('cancelled'))
      Object.assign(record, {
        state: revoked ? 'revoked' : interrupted ? 'interrupted' : 'failed',
        started,
        error: revoked ? String(running.abort.signal.reason?.message ?? 'revoked') : err.message,
        retryable
      })
    } finally {
      record.tools = undefined
      this.release(record.key, running)
      if (!this.held.has(record.key)) this.init.release(spec)
      if (this.running.get(record.key) === running) this.running.delete(record.key)
      this.pump()
    }
    // Stopped by the node stopping: the record stays as it was, so the next start runs the stage again under the
    // same award, as after a crash (and a print that had started is taken as interrupted).
    if (this.stopped && record.state === 'revoked') return
    await this.save(record)
    if (record.state !== 'interrupted') await this.dropFolder(record)
    if (record.state !== 'revoked') this.report(record, running.log)
  }

  /**
   * The operator's decision to continue an interrupted print from a line; when it finishes, the result goes to
   * the requester under the original award. The report `resume` writes is kept as a blob, and its file removed.
   */
  async resumePrint (jobId: string, resume: () => Promise<{ outputPath: string, command: string[] }>): Promise<void> {
    const record = await this.interruptedPrint(jobId)
    record.state = 'running'
    await this.save(record)
    let finished = false
    try {
      const done = await resume()
      const stored = await this.store.importFile(done.outputPath)
      await rm(done.outputPath, { force: true })
      Object.assign(record, { state: 'finished', output: { hash: stored.hash, size: stored.size, name: 'print-report.json', holders: [this.init.self] }, command: done.command, error: undefined })
      finished = true
    } catch (err: any) {
      Object.assign(record, { state: 'interrupted', error: err.message })
      throw err
    } finally {
      await this.save(record)
      if (finished) await this.dropFolder(record)
      this.report(record)
    }
  }

  /**
   * The operator's decision to give up an interrupted print: the stage fails for good (a half-printed part on
   * the bed is not a print to run again elsewhere), its folder goes, and the requester is told.
   */
  async abandonPrint (jobId: string, abandon: () => Promise<void>): Promise<void> {
    const record = await this.interruptedPrint(jobId)
    await abandon()
    Object.assign(record, { state: 'failed', error: `the interrupted print was abandoned by the operator of ${this.init.selfName}`, retryable: false })
    await this.save(record)
    await this.dropFolder(record)
    this.report(record)
  }

  private async interruptedPrint (jobId: string): Promise<WorkRecord> {
    for await (const record of this.work.values()) if (record.spec.jobId === jobId && record.state === 'interrupted') return record
    throw new Error(`no interrupted print of job ${jobId} on this node`)
  }

  private workRoot (): string {
    return join(this.init.dataDir, 'work')
  }

  /**
   * A stage's folder goes once its end is recorded: its output is a blob by then, and another award of the
   * stage gets a folder of its own. Its input links would otherwise keep collected blobs on the disk.
   */
  private async dropFolder (record: WorkRecord): Promise<void> {
    const name = folderName(record)
    this.folders.delete(name)
    await rm(join(this.workRoot(), name), { recursive: true, force: true })
      .catch((err: Error) => { log('removing work folder %s failed %e', name, err) })
  }

  /**
   * At start, removes what earlier runs left in <dataDir>/work (a crash between a stage's end and its folder's
   * removal, or a version that never removed them), keeping the folders of stages still held. Only names this
   * node gives are touched; a link is removed, never followed, and a work folder that is itself a link is left
   * as it is.
   */
  private async sweep (): Promise<void> {
    const root = this.workRoot()
    const info = await lstat(root).catch(() => undefined)
    if (info?.isDirectory() !== true) return
    let removed = 0
    for (const name of await readdir(root)) {
      if (!WORK_ENTRY.test(name) || this.folders.has(name)) continue
      await rm(join(root, name), { recursive: true, force: true })
      removed++
    }
    if (removed > 0) log('removed %d leftover entries of %s', removed, root)
  }

  private hold (record: WorkRecord): Running {
    const running: Running = { abort: new AbortController(), progress: 0, log: [], started: false, toolEnded: false }
    this.held.set(record.key, { running, lease: this.keepLease(record, running) })
    return running
  }

  /** Stops renewing the lease of `running`, unless a newer award of the stage holds the key by now. */
  private release (key: string, running: Running): void {
    const held = this.held.get(key)
    if (held?.running !== running) return
    held.lease.stop()
    this.held.delete(key)
  }

  /** Renews the lease from the award until the stage has run; a revoked lease, or one it could not renew in time, stops the tool. */
  private keepLease (record: WorkRecord, running: Running): Lease {
    const leaseMs = this.init.config().market.leaseMs
    let lastRenewed = Date.now()
    const renew = async (): Promise<void> => {
      const lines = running.log.splice(0)
      try {
        const response = await this.channel.send(record.spec.requester, {
          kind: MarketRequest.Kind.RENEW, stage: specFromJson(record.spec), token: record.token, progress: running.progress, log: lines, started: running.started, ok: false, error: '', command: [], cached: false, tool: record.tool ?? '', retryable: true, inline: [], wantOutput: false
        })
        if (response.status === MarketResponse.Status.OK) lastRenewed = Date.now()
        else running.abort.abort(new Error(`the requester revoked the award: ${response.message}`))
      } catch (err: any) {
        log('renewing %s failed %e', record.key, err)
        if (Date.now() - lastRenewed > leaseMs) running.abort.abort(new Error('lost the requester: lease expired'))
      }
    }
    const timer = setInterval(() => { renew().catch(() => {}) }, Math.max(500, Math.floor(leaseMs / 3)))
    const confirm = async (): Promise<void> => {
      const asked = Date.now()
      while (lastRenewed < asked) {
        running.abort.signal.throwIfAborted()
        await renew()
        if (lastRenewed < asked) await new Promise(resolve => setTimeout(resolve, 500))
      }
      running.abort.signal.throwIfAborted()
    }
    return { stop: () => { clearInterval(timer) }, confirm }
  }

  /** Writes a stage's work record, unless a newer award of the stage has one by now. */
  private async save (record: WorkRecord): Promise<void> {
    if ((this.newest.get(record.key) ?? record.token) > record.token) return
    await this.work.put(record.key, record)
  }

  /** Deletes a stage's work record once its result is taken, unless it is a newer award's by now. */
  private async forget (record: WorkRecord): Promise<void> {
    if ((this.newest.get(record.key) ?? record.token) > record.token) return
    this.newest.delete(record.key)
    await this.work.del(record.key)
  }

  /** Sends the result until the requester confirms it (or says it no longer wants it), then forgets the work. */
  private report (record: WorkRecord, lines: string[] = []): void {
    // Read once for every attempt: the output inline when the requester wants it and it is small.
    const inlined = record.wantOutput === true && record.output != null ? inlineFiles(this.store, [record.output]) : Promise.resolve([])
    const send = async (attempt: number): Promise<void> => {
      if (this.stopped) return
      try {
        const inline = await inlined
        const response = await this.channel.send(record.spec.requester, {
          kind: MarketRequest.Kind.RESULT,
          stage: specFromJson(record.spec),
          token: record.token,
          progress: 100,
          log: lines,
          ok: record.state === 'finished',
          output: record.output,
          error: record.error ?? '',
          command: record.command ?? [],
          cached: record.cached ?? false,
          tool: record.tool ?? '',
          started: record.started === true || record.state === 'interrupted',
          retryable: record.retryable ?? true,
          inline,
          wantOutput: false,
          ...(record.provenance === undefined ? {} : { provenance: Buffer.from(record.provenance, 'base64') })
        })
        if (response.status === MarketResponse.Status.OK || response.status === MarketResponse.Status.REVOKED || response.status === MarketResponse.Status.UNKNOWN) {
          // An interrupted print stays here until an operator resumes it.
          if (record.state !== 'interrupted') {
            this.reported.set(record.key, record.token)
            await this.forget(record)
          }
          return
        }
      } catch (err: any) {
        log('reporting %s failed (attempt %d) %e', record.key, attempt, err)
      }
      if (attempt < 60) setTimeout(() => { send(attempt + 1).catch(() => {}) }, Math.min(500 * 2 ** attempt, 5000))
    }
    send(0).catch(() => {})
  }
}

/** `<jobId>-<index>-<token>`: one folder per award, so a newer award never shares one with an older. */
function folderName (record: WorkRecord): string {
  return `${record.spec.jobId}-${record.spec.index}-${record.token}`
}

export function specToJson (spec: StageSpec): Omit<StageSpec, 'params'> & { params: Record<string, string> } {
  return { ...spec, params: Object.fromEntries(spec.params) }
}

export function specFromJson (json: ReturnType<typeof specToJson>): StageSpec {
  return { ...json, params: new Map(Object.entries(json.params)) }
}

/** A bid as a market request: the stream it goes on names its bidder, authenticated by the connection's handshake. */
function bidRequest (bid: Bid): Request {
  return { kind: MarketRequest.Kind.BID, bid, token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [], wantOutput: false }
}
