import { randomBytes } from 'node:crypto'
import { basename } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { GossipMessage, MarketRequest, MarketResponse, type Award, type InlineBlob, type StageSpec } from '../../protocols/market.js'
import { MAX_EMPTY_ROUNDS, UNKNOWN_RUN_MS } from '../market/constants.js'
import { ConflictError, JobNotFoundError } from '../store/job-store.js'
import { isGcode, readGcodeFacts, readGcodeFileFacts } from '../printer/gcode-facts.js'
import { checkFileName } from '../jobs/file-names.js'
import { TERMINAL_JOB_STATES, TERMINAL_STAGE_STATES, type BidRecord, type FileRef, type JobEvent, type JobOptions, type JobRecord, type StageRecord } from '../jobs/job.js'
import { notify } from './notify.js'
import { Limit } from '../common/limit.js'
import { pipelineFor } from '../jobs/pipeline.js'
import { copiesOf, copiesOutcome, copyId, copyJob, copyNotStarted, stagesBeforeCopies } from '../jobs/copies.js'
import { announcedPriority, compareQueueKeys, queueKeyOfJob, rankWhenMoved, type QueueKey, type QueuePin } from '../jobs/print-queue-order.js'
import { profileForPrinters, type ProfileMakeUp } from '../jobs/printer-class.js'
import { BidRounds } from './bid-round.js'
import { SubmitRequests, type Attempt, type SubmitRequest } from './submit-requests.js'
import { BlobNotFoundError } from '../blobs/errors.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { CapabilityService, KnownPeer } from '../capabilities/capability-service.js'
import type { NodeConfig } from '../config/node-config.js'
import { PeerFailedError, type Answer, type DirectChannel, type Request } from '../market/direct.js'
import { inlineFiles, keepInlineFiles } from '../market/inline-blobs.js'
import type { JobsTopic, LocalBidder } from '../market/jobs-topic.js'
import type { JobStore } from '../store/job-store.js'
import { acceptedProvenance } from '../provenance/stage-provenance.js'

const log = logger('meshnode:jobs')

/** A file already in this node's blob store, with the name it was uploaded under. */
export interface StoredFile {
  hash: string
  size: number
  name: string
}

export interface StoredSubmitRequest {
  files: StoredFile[]
  extra: StoredFile[]
  pipeline?: string[]
  options: JobOptions
  /** The same on every retry of one upload: a retry makes only the jobs that are missing. */
  requestId?: string
}

type NewEvent = Omit<JobEvent, 'seq' | 'at'>

/** What the requester reads of the mesh: its own record, the peers it knows, and when they join or change. */
export type MeshView = Pick<CapabilityService, 'local' | 'peers' | 'addEventListener' | 'removeEventListener'>

export interface CoordinatorComponents {
  /** This node's peer id. */
  self: string
  topic: Pick<JobsTopic, 'publish'>
  bidder: LocalBidder
  store: JobStore
  blobs: Pick<BlobService, 'fetch'>
  blobStore: BlobStore
  channel: Pick<DirectChannel, 'on' | 'send'>
  capabilities: MeshView
  profiles?: () => ProfileMakeUp[]
}

interface Lease {
  until: number
  started: boolean
}

/** What one stage learned of the market: the bids of its round, the peers that did not answer, and why none won. */
interface MarketAnswer {
  /** False when the stage did not ask, the market being known to be full. */
  asked: boolean
  bids: BidRecord[]
  silent: KnownPeer[]
  /** Some peer would take the stage once it has room. */
  busy: boolean
  why: string
  /** How many stages this node had awarded each peer when the round opened. */
  awardsBefore: Map<string, number>
}

/**
 * Bid rounds open at once: a batch of a thousand jobs announces its stages a few dozen at a time rather than
 * flooding the topic (and every peer's rate limit) in one burst.
 */
const MAX_CONCURRENT_ROUNDS = 24
/** Files of a batch read into the blob store side by side: each waits mostly on the thread pool and the disk. */
const IMPORTS_AT_ONCE = 8
/**
 * Waiting stages woken by each result: one, for the one slot it freed. Three made four bid rounds per render in
 * a batch of 100 on two peers, three of them refused.
 */
const WAKE_ON_RESULT = 1
/** Waiting stages woken when a peer joins or changes what it offers (a printer freed): as many as a peer queues per slot. */
const WAKE_ON_PEER = 4
/**
 * Stages that wait for busy peers do not each ask again on a timer: a batch of 100 on two peers asked 250
 * times for 100 renders that way. Results and joining peers wake them; for capacity freed by other
 * requesters' stages, one waiting stage at a time asks again, after 2, 4, then every 8 s. A stage that
 * waits for a peer that did not answer asks again itself after 0.5, 1, 2, ... s.
 */
const FIRST_PROBE_MS = 2000
const MAX_WAIT_MS = 8000
/** However it waits, a stage asks again at least this often, should a wake-up go missing. */
const LONGEST_WAIT_MS = 60_000
/**
 * Peers asked to bid in a stage's first round, besides this node; the others only when none of them takes it.
 * Announced to every peer, each stage cost every peer a message to read and check, and the mesh's CPU per stage
 * grew with its size (see "The market at scale" in BENCHMARKS.md).
 */
const SAMPLED_BIDDERS = 3
/** Peers remembered as having just freed a slot (they sent a result): the next rounds ask them first. */
const FREED_MEMORY = 64
/** Unclean stops of this node with a job at the same stage, after which the job fails rather than resumes. */
const MAX_CRASHES = 2
/** Writes tried per job when the node starts or stops, should a stage's step race them. */
const CONFLICT_ATTEMPTS = 5

/**
 * The requester: owns the jobs submitted here. Each stage is announced, bid for, awarded with a fencing token
 * and watched through its lease until a result comes back; every transition is stored before it is acted on,
 * so a restarted requester picks every job up where it was.
 */
export class Coordinator extends EventTarget {
  private readonly topic: Pick<JobsTopic, 'publish'>
  private readonly store: JobStore
  private readonly blobs: Pick<BlobService, 'fetch'>
  private readonly blobStore: BlobStore
  private readonly channel: Pick<DirectChannel, 'on' | 'send'>
  private readonly capabilities: MeshView
  private readonly bidder: LocalBidder
  private readonly profiles: () => ProfileMakeUp[]
  private readonly config: () => NodeConfig
  private readonly self: string
  private readonly bidRounds: BidRounds
  private readonly rounds = new Limit(MAX_CONCURRENT_ROUNDS)
  private readonly leases = new Map<string, Lease>()
  private readonly progress = new Map<string, number>()
  private readonly wakers = new Map<string, () => void>()
  private readonly driving = new Set<string>()
  private readonly driveAgain = new Set<string>()
  /** The queue place of each job waiting for capacity: woken in this order (see print-queue-order.ts). */
  private readonly queueKeys = new Map<string, { key: QueueKey, held: boolean }>()
  /** Jobs whose next stage found every peer busy, oldest first: woken as stages finish and free a slot. */
  private readonly waitingForCapacity = new Set<string>()
  /** The probe: one waiting stage asks again when it fires; the prober is the stage it woke last. */
  private probeTimer: NodeJS.Timeout | undefined
  private probeDelayMs = FIRST_PROBE_MS
  private prober: string | undefined
  /**
   * Markets (stage kind, printer, material) whose last bid round found every peer that offers them busy, with
   * the reasons it heard. While stages wait for capacity, a new stage for such a market joins them without
   * asking, and asks only once invited: in a batch of 100 on two peers, most stages' first round was refused by
   * full queues, each refusal costing both peers a signed message each way and the requester a write.
   */
  private readonly saturated = new Map<string, string>()
  /** Waiting stages woken because a slot may have freed: they ask even where the market is known to be full. */
  private readonly invited = new Set<string>()
  /**
   * Stages awarded to each peer since this node started. A bid tells how soon its peer would finish the stage
   * given the work it knew of; the stages awarded to it after the round opened come on top (see `pickWinner`).
   */
  private readonly awardsTo = new Map<string, number>()
  private readonly requests: SubmitRequests
  /** Peers that sent a result since the last rounds asked them, newest last. */
  private readonly freed: string[] = []
  /** Where the next sample starts among the capable peers, so that rounds side by side ask different ones. */
  private sampleCursor = 0
  private stopped = false

  constructor (components: CoordinatorComponents, config: () => NodeConfig) {
    super()
    this.topic = components.topic
    this.store = components.store
    this.blobs = components.blobs
    this.blobStore = components.blobStore
    this.channel = components.channel
    this.capabilities = components.capabilities
    this.bidder = components.bidder
    this.profiles = components.profiles ?? (() => [])
    this.config = config
    this.self = components.self
    this.requests = new SubmitRequests(components.store)
    this.bidRounds = new BidRounds({
      self: this.self,
      announce: async (spec, peers) => {
        // A print is announced to every peer on gossip: the printers keep the queue of waiting prints from it.
        if (spec.kind === 'print') return await this.topic.publish({ kind: GossipMessage.Kind.ANNOUNCE, announce: spec })
        for (const peer of peers) this.askToBid(spec, peer)
      },
      ownBid: async spec => this.bidder.bid(spec),
      windowMs: () => this.config().market.bidWindowMs
    })
  }

  async start (): Promise<void> {
    // A bid comes over the bidder's own stream, which the connection's handshake authenticated: it counts for that peer.
    this.channel.on(MarketRequest.Kind.BID, async (request, from) => {
      if (request.bid != null) this.bidRounds.receive(request.bid, from)
      return { status: MarketResponse.Status.OK, message: '' }
    })
    this.channel.on(MarketRequest.Kind.RENEW, async (request, from) => this.onRenew(request, from))
    this.channel.on(MarketRequest.Kind.RESULT, async (request, from) => this.onResult(request, from))
    this.capabilities.addEventListener('peer:joined', this.onPeerChanged)
    this.capabilities.addEventListener('peer:updated', this.onPeerChanged)
    const open = (await this.store.list()).filter(job => !TERMINAL_JOB_STATES.includes(job.state))
    await Promise.all(open.map(async job => {
      const resumed = await this.onFresh(job.id, async fresh => this.resume(fresh)).catch((err) => {
        log.error('could not record taking job %s up %e', job.id, err)
        return true
      })
      if (resumed === true) this.drive(job.id)
    }))
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.capabilities.removeEventListener('peer:joined', this.onPeerChanged)
    this.capabilities.removeEventListener('peer:updated', this.onPeerChanged)
    clearTimeout(this.probeTimer)
    for (const wake of this.wakers.values()) wake()
    const open = (await this.store.list()).filter(job => !TERMINAL_JOB_STATES.includes(job.state))
    await Promise.all(open.map(async job => this.onFresh(job.id, async fresh => this.noteCleanStop(fresh))))
  }

  /**
   * Runs `act` on the job as stored now, again on a fresh read if a stage's step was written meanwhile (a
   * result from this node's own work queue can land while it starts or stops). Nothing, if the job has ended.
   */
  private async onFresh<T> (id: string, act: (job: JobRecord) => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      const job = await this.mustGet(id)
      if (TERMINAL_JOB_STATES.includes(job.state)) return undefined
      try {
        return await act(job)
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= CONFLICT_ATTEMPTS) throw err
      }
    }
  }

  /**
   * Records, before the job is driven again, that this start takes it up. A job this node died with twice
   * (a crash, an out-of-memory kill, kill -9) while a stage of it was awarded or running, and no stage
   * finished in between, fails here instead, saying why: what killed the node may be the job itself (its
   * input served to the executor), and a node that took it up again would die on every start. A stage that
   * only waited for a peer, or a result being pulled, counts no crash: a node killed often for other reasons
   * (test/e2e/faults/crash-loop.test.ts) finds its jobs there, and must still finish them.
   */
  private async resume (job: JobRecord): Promise<boolean> {
    const current = job.stages.find(stage => stage.state !== 'done')
    // A print waiting for an operator runs nothing here.
    if (current?.state === 'interrupted') return true
    const stagesDone = job.stages.filter(stage => stage.state === 'done').length
    const underWay = current?.state === 'awarded' || current?.state === 'running'
    const crashed = job.resume?.stoppedCleanly !== true && underWay
    const crashes = (job.resume?.stagesDone === stagesDone ? job.resume.crashes : 0) + (crashed ? 1 : 0)
    if (crashes >= MAX_CRASHES) {
      await this.failCrashed(job)
      return false
    }
    await this.update(job, j => { j.resume = { stoppedCleanly: false, stagesDone, crashes } },
      crashed ? [{ type: 'resumed', message: `resumed after this node stopped without shutting down (${crashes} of ${MAX_CRASHES}: at ${MAX_CRASHES} before a stage finishes, the job fails)` }] : [])
    return true
  }

  private async failCrashed (job: JobRecord): Promise<void> {
    const stage = job.stages.find(s => s.state !== 'done') as StageRecord
    const where = `stage ${stage.index + 1} of ${job.stages.length} (${stage.kind}) was ${stage.state}${stage.peerName != null ? ` on ${stage.peerName}` : ''}`
    const error = `the node crashed twice while running this job; not retrying it: both times ${where}. See this node's log for the cause, then submit the file again`
    const failed = await this.update(job, j => {
      j.state = 'failed'
      j.error = error
      // The executor's next renewal is then refused, and it stops.
      for (const s of j.stages) if (!TERMINAL_STAGE_STATES.includes(s.state)) Object.assign(s, { state: 'failed', error: 'not finished: the requester crashed twice during the job' })
    }, [{ type: 'failed', message: error }])
    await this.notify(failed)
  }

  /** Marks an unfinished job as left by a clean stop, so the next start does not count a crash against it. */
  private async noteCleanStop (job: JobRecord): Promise<void> {
    if (job.resume?.stoppedCleanly === true) return
    const resume = { stagesDone: 0, crashes: 0, ...job.resume, stoppedCleanly: true }
    await this.store.update(job.id, job.rev, j => { j.resume = resume })
  }

  /** Wakes the stage that has waited longest for capacity, once the probe's delay has passed. */
  private scheduleProbe (): void {
    if (this.probeTimer != null || this.stopped) return
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined
      const first = this.waitingInOrder()[0]
      if (first == null) {
        this.probeDelayMs = FIRST_PROBE_MS
        return
      }
      this.prober = first
      this.invite(first)
      this.probeDelayMs = Math.min(this.probeDelayMs * 2, MAX_WAIT_MS)
      this.scheduleProbe()
    }, this.probeDelayMs)
  }

  /**
   * A probe found capacity: there may be more of it (another requester's batch ended), so the next waiting
   * stage asks at once, and the probe starts again from its shortest delay.
   */
  private probeSucceeded (id: string): void {
    if (this.prober !== id) return
    this.probeDelayMs = FIRST_PROBE_MS
    const next = this.waitingInOrder().find(other => other !== id)
    this.prober = next
    if (next != null) this.invite(next)
  }

  private readonly onPeerChanged = (): void => {
    this.saturated.clear()
    for (const id of this.waitingInOrder().slice(0, WAKE_ON_PEER)) this.invite(id)
  }

  /**
   * The jobs waiting for capacity, first in the queue first; those of no known place keep the order they came in,
   * and held ones come last: a slot that frees is no use to them.
   */
  private waitingInOrder (): string[] {
    const waiting = [...this.waitingForCapacity]
    const unknown = { key: { bucket: Infinity, rank: 0, jobId: '' }, held: false }
    return waiting.map((id, i) => ({ id, i, place: this.queueKeys.get(id) ?? unknown }))
      .sort((a, b) => Number(a.place.held) - Number(b.place.held) || compareQueueKeys(a.place.key, b.place.key) || a.i - b.i)
      .map(w => w.id)
  }

  /** Wakes a stage waiting for capacity to ask the market again. */
  private invite (id: string): void {
    this.invited.add(id)
    this.wake(id)
  }

  /**
   * Stores one job per file. Every file's pipeline is worked out, and every distinct file imported once (a few
   * at a time), before any job is written, so a batch with one bad file makes no jobs; the jobs start once all
   * are stored. A retried request (the same request id) gets the jobs its earlier attempts stored and makes
   * only the missing ones.
   */
  async submit (request: SubmitRequest): Promise<JobRecord[]> {
    return await this.requests.run(request, async attempt => this.storeJobs(request, attempt))
  }

  private async storeJobs (request: SubmitRequest, { earlier, originOf }: Attempt): Promise<JobRecord[]> {
    const pipelines = request.files.map(path => stagesBeforeCopies(pipelineFor(basename(path), request.pipeline), request.options.copies))
    const importing = new Limit(IMPORTS_AT_ONCE)
    const imports = new Map<string, Promise<FileRef>>()
    const importOnce = async (path: string, mustBePlain: boolean): Promise<FileRef> => {
      const key = `${String(mustBePlain)}:${path}`
      const started = imports.get(key) ?? importing.run(async () => this.importFile(path, mustBePlain))
      imports.set(key, started)
      return started
    }
    const allStored = earlier.size === request.files.length
    const [extra, inputs] = await Promise.all([
      Promise.all((allStored ? [] : request.extra).map(async path => importOnce(path, true))),
      Promise.all(request.files.map(async (path, i) => earlier.has(i) ? undefined : importOnce(path, false)))
    ])
    return this.createJobs(inputs, extra, pipelines, request.options, { earlier, originOf })
  }

  /**
   * Stores one job per file that is already in this node's blob store (an HTTP upload streams there): nothing
   * is read from a path. Names are display names only, refused when they could not be a plain file name. A
   * request id makes it idempotent as submit() is: the request is known by the files' hashes and names.
   */
  async submitStored (request: StoredSubmitRequest): Promise<JobRecord[]> {
    const ref = async (file: StoredFile): Promise<FileRef> => {
      checkFileName(file.name)
      const stat = await this.blobStore.stat(file.hash)
      if (stat?.size !== file.size) throw new BlobNotFoundError(`cannot submit ${file.name}: its content is not in this node's blob store`)
      const stored: FileRef = { hash: file.hash, size: file.size, name: file.name, holders: [this.self] }
      // Read from the blob as a local file's are from its path, so an uploaded G-code is matched to printers too.
      if (isGcode(file.name)) stored.gcode = await readGcodeFacts({ size: file.size, read: offset => this.blobStore.read(file.hash, offset) })
      return stored
    }
    const known = (files: StoredFile[]): string[] => files.map(f => `${f.hash}/${f.name}`)
    const asRequest: SubmitRequest = { files: known(request.files), extra: known(request.extra), pipeline: request.pipeline, options: request.options, requestId: request.requestId }
    return await this.requests.run(asRequest, async attempt => {
      const pipelines = request.files.map(file => stagesBeforeCopies(pipelineFor(file.name, request.pipeline), request.options.copies))
      const inputs = await Promise.all(request.files.map(async (file, i) => attempt.earlier.has(i) ? undefined : ref(file)))
      const extra = await Promise.all(request.extra.map(ref))
      return this.createJobs(inputs, extra, pipelines, request.options, attempt)
    })
  }

  /** Writes the jobs of one submit, those an earlier attempt did not, then starts them all. */
  private async createJobs (inputs: Array<FileRef | undefined>, extra: FileRef[], pipelines: string[][], options: JobOptions, { earlier, originOf }: Attempt): Promise<JobRecord[]> {
    const written = await Promise.allSettled(inputs.map(async (ref, i): Promise<JobRecord> => {
      const stored = earlier.get(i)
      if (stored != null) return await this.mustGet(stored)
      const input = ref as FileRef
      const stages = pipelines[i]
      const now = Date.now()
      const job: JobRecord = {
        id: 'j' + randomBytes(6).toString('hex'),
        requester: this.self,
        requesterName: this.capabilities.local().name,
        createdAt: now,
        updatedAt: now,
        state: 'running',
        input,
        extra,
        options,
        stages: stages.map((kind, index): StageRecord => ({ index, kind, state: 'pending', attempt: 1, token: 0, bids: [], input: index === 0 ? input : undefined })),
        rev: 0
      }
      const copies = copiesOf(job) > 1 ? `, then ${copiesOf(job)} copies printed` : ''
      await this.store.create(job, { type: 'submitted', message: `submitted ${input.name} (${input.size} bytes) through ${stages.join(' -> ')}${copies}` }, originOf(i))
      return { ...job, rev: 1 }
    }))
    const jobs = written.flatMap(w => w.status === 'fulfilled' ? [w.value] : [])
    // A job that was written runs, whatever happened to the others: it is in the store and would start with the
    // next start of this node anyway.
    for (const job of jobs) this.drive(job.id)
    const failed = written.find(w => w.status === 'rejected')
    if (failed != null) throw new Error(`${jobs.length} of ${written.length} jobs were stored and started; storing the others failed: ${String(failed.reason?.message ?? failed.reason)}`, { cause: failed.reason })
    return jobs
  }

  async cancel (id: string): Promise<JobRecord> {
    // On a fresh read: a stage's step written meanwhile must not turn the user's cancel into a conflict.
    const bidding: StageRecord[] = []
    const next = await this.onFresh(id, async job => this.update(job, j => {
      j.state = 'cancelled'
      bidding.splice(0, bidding.length, ...j.stages.filter(stage => stage.state === 'pending' || stage.state === 'bidding'))
      for (const stage of j.stages) if (!['done', 'failed'].includes(stage.state)) stage.state = 'cancelled'
    }, [{ type: 'cancelled', message: 'cancelled by the submitter' }]))
    if (next == null) return await this.mustGet(id)
    this.wake(id)
    // An award to nobody: the peers forget the stage's bids and its place in the print queue at once.
    for (const stage of bidding) await this.topic.publish({ kind: GossipMessage.Kind.AWARD, award: { jobId: id, index: stage.index, attempt: stage.attempt, winner: '', token: 0 } })
    for (const copy of next.copies ?? []) {
      const record = await this.store.get(copy)
      if (record != null && copyNotStarted(record)) await this.cancel(copy)
    }
    return next
  }

  /** Live progress of running stages (percent), kept in memory only. */
  progressOf (id: string, index: number): number | undefined {
    return this.progress.get(`${id}:${index}`)
  }

  private async importFile (path: string, mustBePlain: boolean): Promise<FileRef> {
    const name = basename(path)
    if (mustBePlain) checkFileName(name)
    try {
      const stored = await this.blobStore.importFile(path)
      const ref: FileRef = { hash: stored.hash, size: stored.size, name, holders: [this.self] }
      if (isGcode(name)) ref.gcode = await readGcodeFileFacts(path)
      return ref
    } catch (err: any) {
      // In a batch, which file it was is half the message.
      throw new Error(`cannot submit ${path}: ${err.message}`, { cause: err })
    }
  }

  private drive (id: string): void {
    if (this.driving.has(id)) {
      // A copy that ended while its job was being looked at: look again once that is over.
      this.driveAgain.add(id)
      return
    }
    this.driving.add(id)
    this.run(id)
      .catch(err => { log.error('job %s stopped unexpectedly %e', id, err) })
      .finally(() => {
        this.driving.delete(id)
        if (this.driveAgain.delete(id)) this.drive(id)
      })
  }

  private async run (id: string): Promise<void> {
    while (!this.stopped) {
      const job = await this.mustGet(id)
      if (TERMINAL_JOB_STATES.includes(job.state)) return
      const stage = job.stages.find(s => s.state !== 'done')
      if (stage == null) return await this.finish(job)
      try {
        switch (stage.state) {
          case 'pending':
          case 'bidding': await this.bidRound(job, stage); break
          case 'awarded': await this.offer(job, stage); break
          case 'running': await this.watch(job, stage); break
          case 'interrupted': return
          default: return await this.fail(job, stage.error ?? `stage ${stage.kind} ${stage.state}`)
        }
      } catch (err: any) {
        if (!(err instanceof ConflictError)) throw err
      }
    }
  }

  private spec (job: JobRecord, stage: StageRecord): StageSpec {
    return {
      jobId: job.id,
      index: stage.index,
      attempt: stage.attempt,
      kind: stage.kind,
      input: stage.input,
      extra: job.extra,
      params: new Map(Object.entries(job.options.params)),
      profile: job.options.profile ?? this.profileForPrint(job, stage),
      printer: job.options.printer ?? '',
      material: job.options.material ?? '',
      requester: this.self,
      requesterName: job.requesterName,
      priority: announcedPriority(job),
      rank: job.rank ?? job.createdAt,
      held: job.held === true,
      createdAt: job.createdAt
    }
  }

  /** The print stages of this node's jobs that wait for a printer, as they are announced. */
  async waitingPrints (): Promise<StageSpec[]> {
    const jobs = (await this.store.list()).filter(job => job.state === 'running')
    return jobs.flatMap(job => job.stages.filter(s => s.kind === 'print' && (s.state === 'pending' || s.state === 'bidding')).map(s => this.spec(job, s)))
  }

  /** `meshnode queue move`: the job goes ahead of (or behind) every other waiting print, and says so to the printers at once. */
  async moveInQueue (id: string, pin: QueuePin): Promise<JobRecord> {
    return await this.steer(id, j => { j.queuePin = pin; j.rank = rankWhenMoved(pin, Date.now()) }, `moved to the ${pin} of the print queue`)
  }

  /** `meshnode queue hold` and `release`: no printer takes the job's print while it is held. */
  async holdInQueue (id: string, held: boolean): Promise<JobRecord> {
    return await this.steer(id, j => { j.held = held }, held ? 'held in the print queue' : 'released in the print queue')
  }

  private async steer (id: string, change: (job: JobRecord) => void, message: string): Promise<JobRecord> {
    if (await this.store.get(id) == null) throw new JobNotFoundError(id)
    const next = await this.onFresh(id, async job => this.update(job, change, [{ type: 'queue', message }]))
    if (next == null) throw new JobEndedError(id)
    this.queueKeys.set(id, { key: queueKeyOfJob(next), held: next.held === true })
    this.invite(id)
    return next
  }

  /** A slice that a print follows, with no profile named: sliced for the printers in the mesh (see profileForPrinters). */
  private profileForPrint (job: JobRecord, stage: StageRecord): string {
    const printsNext = job.stages[stage.index + 1]?.kind === 'print' || (stage.index === job.stages.length - 1 && copiesOf(job) > 1)
    if (stage.kind !== 'slice' || !printsNext) return ''
    const printers = [this.capabilities.local(), ...this.capabilities.peers().map(p => p.record)].flatMap(r => r.printers)
    return profileForPrinters(printers, this.profiles())?.name ?? ''
  }

  private async bidRound (job: JobRecord, stage: StageRecord): Promise<void> {
    let spec = this.spec(job, stage)
    this.queueKeys.set(job.id, { key: queueKeyOfJob(job), held: job.held === true })
    let current = job
    if (stage.state === 'pending') current = await this.update(job, j => { j.stages[stage.index].state = 'bidding' }, [{ type: 'bidding', stage: stage.index, message: `announcing ${stage.kind} (attempt ${stage.attempt})` }])

    let empty = 0
    let waiting = 0
    let lastWhy = ''
    let invited = false
    for (;;) {
      const { asked, bids, silent, busy, why, awardsBefore } = await this.askMarket(spec, invited)
      const winner = pickWinner(bids, (peerId) => (this.awardsTo.get(peerId) ?? 0) - (awardsBefore.get(peerId) ?? 0))
      if (this.stopped) return
      if (winner != null) {
        // Counted at once: the rounds of a burst close side by side, and the next pick must see this one.
        this.awardsTo.set(winner.peerId, (this.awardsTo.get(winner.peerId) ?? 0) + 1)
        if (this.waitingForCapacity.size === 0) this.saturated.clear()
        const fresh = await this.mustGet(job.id)
        if (fresh.state !== 'running') return
        const token = fresh.stages[stage.index].token + 1
        await this.update(fresh, j => {
          const s = j.stages[stage.index]
          Object.assign(s, { state: 'awarded', token, peerId: winner.peerId, peerName: winner.peerName })
          s.bids = [...s.bids.filter(b => b.attempt !== stage.attempt), ...bids]
        }, [{ type: 'awarded', stage: stage.index, peerId: winner.peerId, message: `${stage.kind} awarded to ${winner.peerName} (token ${token}, ${bids.length} bids)` }])
        // Once the offer to the winner (the next step) is on its way: the winner learns of its award from the offer.
        setImmediate(() => { this.announceAward(spec, bids, { jobId: job.id, index: stage.index, attempt: stage.attempt, winner: winner.peerId, token }) })
        this.bidder.settleBid({ jobId: job.id, index: stage.index, winner: winner.peerId }, this.self)
        this.probeSucceeded(job.id)
        return
      }
      // A peer that is only busy (queue full, printer printing, bed occupied) or slow to answer will take the
      // stage later: wait for it. Only a stage that no peer can ever run fails, after a few rounds in case peers
      // are still joining.
      if (busy || silent.length > 0) {
        waiting++
        if (why !== lastWhy) {
          current = await this.update(current, j => {
            if (asked) j.stages[stage.index].bids = [...j.stages[stage.index].bids.filter(b => b.attempt !== stage.attempt), ...bids]
          }, [{ type: 'waiting', stage: stage.index, message: `waiting for a peer to take ${stage.kind}: ${why}` }])
          lastWhy = why
        }
      } else if (++empty < MAX_EMPTY_ROUNDS) {
        // Every peer refused for good (trust, material, no tool): the submitter reads why at once, while the
        // stage asks again for a while in case a peer that would take it is still joining.
        if (why !== lastWhy) {
          current = await this.update(current, j => {
            j.stages[stage.index].bids = [...j.stages[stage.index].bids.filter(b => b.attempt !== stage.attempt), ...bids]
          }, [{ type: 'refused', stage: stage.index, message: `no peer takes ${stage.kind} yet: ${why}` }])
          lastWhy = why
        }
      } else {
        await this.update(current, j => {
          const s = j.stages[stage.index]
          s.state = 'failed'
          s.error = `no peer can run ${stage.kind}: ${why}`
          s.bids = [...s.bids.filter(b => b.attempt !== stage.attempt), ...bids]
        }, [{ type: 'no-bids', stage: stage.index, message: `no peer can run ${stage.kind}: ${why}` }])
        return
      }
      if (this.prober === job.id) this.prober = undefined
      if (waiting > 0) this.waitingForCapacity.add(job.id)
      // A silent peer may answer any moment; a busy one frees a slot with a result, which wakes the stage,
      // and the probe covers slots freed elsewhere.
      const onlyBusy = waiting > 0 && silent.length === 0
      if (onlyBusy) this.scheduleProbe()
      const backoffMs = waiting === 0 ? Math.min(250 * 2 ** empty, 4000) : onlyBusy ? LONGEST_WAIT_MS : Math.min(250 * 2 ** waiting, MAX_WAIT_MS)
      // Invited while its round was open (a peer freed, or the job was moved or held in the queue): ask again now.
      if (!this.invited.has(job.id)) await this.sleep(job.id, backoffMs)
      this.waitingForCapacity.delete(job.id)
      invited = this.invited.delete(job.id)
      current = await this.mustGet(job.id)
      if (current.state !== 'running') return
      // Moved or held in the queue meanwhile: the next announcement says so.
      spec = this.spec(current, current.stages[stage.index])
    }
  }

  /**
   * A bid round for the stage, once its turn to announce has come; or none, if a round before it found every
   * peer that offers the stage's market busy and stages still wait for capacity (see `saturated`): the stage
   * then waits behind them, for the reasons that round heard.
   */
  private async askMarket (spec: StageSpec, invited: boolean): Promise<MarketAnswer> {
    return this.rounds.run(async () => {
      const market = marketOf(spec)
      const known = this.saturated.get(market)
      // A print always asks: the printers take the waiting ones in queue order, and must hear of each.
      if (known != null && !invited && this.waitingForCapacity.size > 0 && spec.kind !== 'print') {
        this.waitingForCapacity.add(spec.jobId)
        return { asked: false, bids: [], silent: [], busy: true, why: known, awardsBefore: new Map() }
      }
      const awardsBefore = new Map(this.awardsTo)
      const { bids, asked } = await this.collectBids(spec)
      // A peer asked that did not answer in time (loaded, or reconnecting) may still take it.
      const silent = asked.filter(p => !bids.some(b => b.peerId === p.peerId))
      const reasons = [...bids.map(b => `${b.peerName}: ${b.reason}`), ...silent.map(p => `${p.record.name}: offers ${spec.kind} but did not answer`)]
      const why = reasons.length > 0 ? reasons.join('; ') : 'no peer answered'
      const busy = bids.some(b => b.busy)
      // Marked before the round's slot is given to the next stage, which then need not ask.
      if (pickWinner(bids) == null) {
        if (busy || silent.length > 0) this.waitingForCapacity.add(spec.jobId)
        if (busy && silent.length === 0) this.saturated.set(market, why)
      }
      return { asked: true, bids, silent, busy, why, awardsBefore }
    })
  }

  /**
   * Gathers bids (see BidRounds) from this node and a few of the peers that offer the stage; from all the others
   * too when none of those takes it, so that a stage only one peer can run still finds it, and a stage no peer
   * takes has every peer's reason. A print asks every printer.
   */
  private async collectBids (spec: StageSpec): Promise<{ bids: BidRecord[], asked: KnownPeer[] }> {
    const capable = this.capabilities.peers().filter(p => p.record.offers.includes(spec.kind))
    const first = spec.kind === 'print' ? capable : this.sample(capable)
    const bids = await this.bidRounds.collect(spec, new Set(first.map(p => p.peerId)))
    if (first.length === capable.length || pickWinner(bids) != null || this.stopped) return { bids, asked: first }
    const rest = capable.filter(p => !first.includes(p))
    const more = await this.bidRounds.collect(spec, new Set(rest.map(p => p.peerId)), false)
    return { bids: [...bids, ...more.filter(b => !bids.some(earlier => earlier.peerId === b.peerId))], asked: capable }
  }

  /**
   * The peers a stage's first round asks: those that just sent a result first (a slot freed there), then the
   * next ones in turn, so that the rounds of a burst spread over the mesh.
   */
  private sample (capable: KnownPeer[]): KnownPeer[] {
    if (capable.length <= SAMPLED_BIDDERS) return capable
    const byId = new Map(capable.map(p => [p.peerId, p]))
    const chosen = new Map<string, KnownPeer>()
    while (chosen.size < SAMPLED_BIDDERS && this.freed.length > 0) {
      const peer = byId.get(this.freed.pop() as string)
      if (peer != null) chosen.set(peer.peerId, peer)
    }
    const inTurn = capable.toSorted((a, b) => a.peerId < b.peerId ? -1 : 1)
    for (let i = 0; i < inTurn.length && chosen.size < SAMPLED_BIDDERS; i++) {
      const peer = inTurn[(this.sampleCursor + i) % inTurn.length]
      chosen.set(peer.peerId, peer)
    }
    this.sampleCursor = (this.sampleCursor + SAMPLED_BIDDERS) % inTurn.length
    return [...chosen.values()]
  }

  /**
   * Asks one peer to bid, over its market stream: the answer carries the bid. A peer that cannot bid (an older
   * version, or its bidding failed) refuses with the reason; one whose answer misses the window is silent.
   */
  private askToBid (spec: StageSpec, peerId: string): void {
    const refuse = (reason: string): void => {
      const name = this.capabilities.peers().find(p => p.peerId === peerId)?.record.name ?? peerId
      this.bidRounds.receive({ jobId: spec.jobId, index: spec.index, attempt: spec.attempt, bidderName: name, accept: false, reason: `cannot bid: ${reason}`, etaMs: 0, etaKnown: false, cached: false, busy: false, holdsInput: false }, peerId)
    }
    // Not cut at the bid window: the first request to a peer opens the kept stream, which a loaded peer may take
    // longer than a window to do, and cut it would start over with every round. A bid after its round is dropped.
    this.channel.send(peerId, announceRequest(spec)).then(response => {
      if (response.bid != null) this.bidRounds.receive(response.bid, peerId)
      else refuse(response.message)
    }, (err: Error) => {
      if (err instanceof PeerFailedError) refuse(err.message)
      else log('asking %s to bid for %s:%d failed %e', peerId, spec.jobId, spec.index, err)
    })
  }

  /**
   * The award, to the peers whose accepting bid lost: what each bid held is free again. A print's award goes to
   * every peer on gossip, as its announcement did.
   */
  private announceAward (spec: StageSpec, bids: BidRecord[], award: Award): void {
    if (spec.kind === 'print') {
      void this.topic.publish({ kind: GossipMessage.Kind.AWARD, award })
      return
    }
    for (const bid of bids) {
      if (!bid.accept || bid.peerId === award.winner || bid.peerId === this.self) continue
      this.channel.send(bid.peerId, awardRequest(award)).catch(err => { log('telling %s of the award of %s:%d failed %e', bid.peerId, award.jobId, award.index, err) })
    }
  }

  private async offer (job: JobRecord, stage: StageRecord): Promise<void> {
    const peerId = stage.peerId as string
    let response: MarketResponse
    try {
      // Small inputs held here travel inside the offer: the executor need not fetch them.
      const inline = peerId === this.self ? [] : await inlineFiles(this.blobStore, [stage.input, ...job.extra].filter(f => f != null))
      response = await this.channel.send(peerId, this.offerRequest(job, stage, inline))
    } catch (err: any) {
      return await this.retry(job, stage, `${stage.peerName} unreachable: ${err.message}`)
    }
    if (response.status !== MarketResponse.Status.OK) return await this.declined(job, stage, response.message)
    this.leases.set(`${job.id}:${stage.index}`, { until: Date.now() + this.config().market.leaseMs, started: false })
    await this.update(job, j => {
      Object.assign(j.stages[stage.index], { state: 'running', startedAt: Date.now() })
    }, [{ type: 'confirmed', stage: stage.index, peerId, message: `${stage.peerName} confirmed ${stage.kind}` }])
  }

  /**
   * The winner refused its award (its printer was taken meanwhile, its queue filled, or it made no such bid): its
   * bid in the attempt becomes that refusal, which `meshnode job ID` lists, and the stage goes back to bidding.
   */
  private async declined (job: JobRecord, stage: StageRecord, message: string): Promise<void> {
    const current = await this.update(job, j => {
      const bids = j.stages[stage.index].bids
      const bid = bids.find(b => b.attempt === stage.attempt && b.peerId === stage.peerId)
      const refusal = { accept: false, reason: `declined the award: ${message}`, busy: true, etaMs: 0, cached: false }
      if (bid != null) Object.assign(bid, refusal)
      else bids.push({ attempt: stage.attempt, peerId: stage.peerId as string, peerName: stage.peerName ?? '', holdsInput: false, ...refusal })
    }, [])
    await this.retry(current, stage, `${stage.peerName} declined: ${message}`)
  }

  private async watch (job: JobRecord, stage: StageRecord): Promise<void> {
    const key = `${job.id}:${stage.index}`
    let lease = this.leases.get(key)
    if (lease == null) {
      // After a restart nothing is known of the lease: give the executor a full term to renew it.
      lease = { until: Date.now() + this.config().market.leaseMs, started: stage.started === true }
      this.leases.set(key, lease)
    }
    const wait = lease.until - Date.now()
    if (wait > 0) {
      await this.sleep(job.id, Math.min(wait, 1000))
      return
    }
    const fresh = await this.mustGet(job.id)
    if (fresh.stages[stage.index].state !== 'running' || fresh.stages[stage.index].token !== stage.token) return
    // A late renewal is more often a busy peer (or a busy requester) than a dead one: ask the holder before
    // handing the stage to someone else, or both would run it.
    if (await this.stillHeld(fresh, stage)) {
      this.leases.set(key, { until: Date.now() + this.config().market.leaseMs, started: lease.started })
      return
    }
    this.leases.delete(key)
    if (stage.kind === 'print' && lease.started) {
      await this.update(fresh, j => {
        Object.assign(j.stages[stage.index], { state: 'interrupted', error: `lost ${stage.peerName} during the print` })
      }, [{ type: 'interrupted', stage: stage.index, peerId: stage.peerId, message: `lost ${stage.peerName} during the print: waiting for an operator` }])
      return
    }
    await this.retry(fresh, stage, `${stage.peerName}'s lease lapsed`)
  }

  /** The award of `stage` to its winner; the last stage's output is wanted here, inline if it is small. */
  private offerRequest (job: JobRecord, stage: StageRecord, inline: InlineBlob[]): Request {
    return { kind: MarketRequest.Kind.OFFER, stage: this.spec(job, stage), token: stage.token, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline, wantOutput: stage.index === job.stages.length - 1 }
  }

  /** The award repeated to its holder, with the same token: a holder that still has the stage says so. */
  private async stillHeld (job: JobRecord, stage: StageRecord): Promise<boolean> {
    try {
      const response = await this.channel.send(stage.peerId as string, this.offerRequest(job, stage, []))
      return response.status === MarketResponse.Status.OK
    } catch {
      return false
    }
  }

  /** Back to bidding with a new attempt, or the stage fails once its attempts are spent. */
  private async retry (job: JobRecord, stage: StageRecord, reason: string): Promise<void> {
    const max = this.config().market.maxAttempts
    if (stage.attempt >= max) {
      await this.update(job, j => { Object.assign(j.stages[stage.index], { state: 'failed', error: `${reason} (after ${max} attempts)` }) },
        [{ type: 'failed', stage: stage.index, message: `${reason}; giving up after ${max} attempts` }])
      return
    }
    await this.update(job, j => {
      Object.assign(j.stages[stage.index], { state: 'bidding', attempt: stage.attempt + 1, peerId: undefined, peerName: undefined })
    }, [{ type: 'retry', stage: stage.index, message: `${reason}: bidding again` }])
  }

  private async onRenew (request: MarketRequest, from: string): Promise<Answer> {
    const found = await this.holder(request, from)
    if ('status' in found) return found
    const { job, stage } = found
    const key = `${job.id}:${stage.index}`
    this.leases.set(key, { until: Date.now() + this.config().market.leaseMs, started: request.started })
    this.progress.set(key, request.progress)
    if (request.log.length > 0 || (request.started && stage.started !== true)) {
      await this.update(job, j => { j.stages[stage.index].started = request.started },
        request.log.map(line => ({ type: 'log', stage: stage.index, peerId: from, message: line }))).catch(() => {})
    }
    this.dispatchEvent(new CustomEvent('progress', { detail: { jobId: job.id, index: stage.index, progress: request.progress } }))
    return { status: MarketResponse.Status.OK, message: '' }
  }

  private async onResult (request: MarketRequest, from: string): Promise<Answer> {
    const spec = request.stage as StageSpec
    const job = await this.store.get(spec.jobId)
    const stage = job?.stages[spec.index]
    if (job == null || stage == null) return { status: MarketResponse.Status.UNKNOWN, message: 'no such stage' }
    if (stage.state === 'done' && stage.token === request.token) return { status: MarketResponse.Status.OK, message: 'already recorded' }
    const found = await this.holder(request, from)
    if ('status' in found) return found
    const logs: NewEvent[] = request.log.map(line => ({ type: 'log', stage: stage.index, peerId: from, message: line }))
    this.leases.delete(`${job.id}:${stage.index}`)
    this.freed.push(from)
    if (this.freed.length > FREED_MEMORY) this.freed.shift()
    if (request.ok && request.output != null) {
      await keepInlineFiles(this.blobStore, [request.output], request.inline)
      const output: FileRef = { ...request.output, holders: [from] }
      const provenance = await this.provenanceOf(request, from)
      await this.update(job, j => {
        Object.assign(j.stages[stage.index], { state: 'done', output, cached: request.cached, command: request.command, tool: request.tool, finishedAt: Date.now(), progress: 100 }, provenance === undefined ? {} : { provenance })
        const next = j.stages[stage.index + 1]
        if (next != null) next.input = output
      }, [...logs, { type: 'stage-done', stage: stage.index, peerId: from, message: `${stage.kind} done on ${stage.peerName}${request.cached ? ' (from cache)' : ''}: ${output.name}, ${output.size} bytes` }])
    } else if (stage.kind === 'print' && request.started && request.retryable && !request.error.includes('cancelled')) {
      // Half a part is on the bed: no other printer can finish it, only an operator can decide (resume it, or
      // abandon it: that result is not retryable, and fails the stage).
      await this.update(job, j => { Object.assign(j.stages[stage.index], { state: 'interrupted', error: request.error, tool: request.tool }) },
        [...logs, { type: 'interrupted', stage: stage.index, peerId: from, message: request.error }])
    } else if (request.retryable) {
      await this.update(job, j => { j.stages[stage.index].error = request.error }, logs)
      await this.retry(await this.mustGet(job.id), stage, `${stage.peerName} failed: ${request.error}`)
    } else {
      await this.update(job, j => { Object.assign(j.stages[stage.index], { state: 'failed', error: request.error, tool: request.tool, finishedAt: Date.now() }) },
        [...logs, { type: 'stage-failed', stage: stage.index, peerId: from, message: request.error }])
    }
    this.wake(job.id)
    this.drive(job.id)
    // A finished stage freed a slot on some peer: the oldest stages waiting for one ask again now rather
    // than at the end of their backoff.
    for (const id of this.waitingInOrder().slice(0, WAKE_ON_RESULT)) this.invite(id)
    return { status: MarketResponse.Status.OK, message: 'recorded' }
  }

  /** The executor's signed record of a finished stage, kept only when it is the sender's and about this result. */
  private async provenanceOf (request: MarketRequest, from: string): Promise<string | undefined> {
    const spec = request.stage as StageSpec
    if (request.provenance == null || request.output == null) return undefined
    try {
      return await acceptedProvenance(request.provenance, { peerId: from, jobId: spec.jobId, index: spec.index, output: request.output.hash })
    } catch (err) {
      log('ignored the stage record of %s:%d from %s %e', spec.jobId, spec.index, from, err)
      return undefined
    }
  }

  /** The job and stage a renewal or result is about, if the sender holds the current award. */
  private async holder (request: MarketRequest, from: string): Promise<{ job: JobRecord, stage: StageRecord } | Answer> {
    const spec = request.stage as StageSpec
    const job = await this.store.get(spec.jobId)
    const stage = job?.stages[spec.index]
    if (job == null || stage == null) return { status: MarketResponse.Status.UNKNOWN, message: 'no such stage' }
    if (job.state === 'cancelled') return { status: MarketResponse.Status.REVOKED, message: 'the job was cancelled' }
    const current = ['awarded', 'running'].includes(stage.state) || (stage.state === 'interrupted' && request.kind === MarketRequest.Kind.RESULT)
    if (stage.peerId !== from || stage.token !== request.token || !current) {
      log('ignored a message for %s:%d from %s with token %d', spec.jobId, spec.index, from, request.token)
      return { status: MarketResponse.Status.REVOKED, message: 'this award is no longer current' }
    }
    return { job, stage }
  }

  private async finish (job: JobRecord): Promise<void> {
    if (copiesOf(job) > 1) return await this.settleCopies(job)
    const last = job.stages[job.stages.length - 1]
    let result = last.output as FileRef
    try {
      if (!(await this.blobStore.has(result.hash))) {
        await this.blobs.fetch(peerIdFromString(result.holders[0]), result.hash, { expectedSize: result.size })
      }
      result = { ...result, holders: [...new Set([...result.holders, this.self])] }
    } catch (err: any) {
      log('could not pull the result of %s yet %e', job.id, err)
    }
    const done = await this.update(job, j => { j.state = 'done'; j.result = result }, [{ type: 'done', message: `done: ${result.name} (${result.size} bytes)` }])
    await this.notify(done)
  }

  /**
   * The job made its part: one print job per copy, made once (their ids are derived from the job's), each bid
   * for on its own so the copies spread over every printer that fits. The job ends when every copy has.
   */
  private async settleCopies (job: JobRecord): Promise<void> {
    const gcode = job.stages.at(-1)?.output ?? job.input
    let current = job
    if (current.copies == null) {
      const ids = Array.from({ length: copiesOf(job) }, (_, i) => copyId(job.id, i + 1))
      for (const [i, id] of ids.entries()) {
        if (await this.store.get(id) != null) continue
        await this.store.create(copyJob(job, i + 1, gcode, Date.now()), { type: 'submitted', message: `copy ${i + 1} of ${ids.length} of job ${job.id}: print ${gcode.name}` })
      }
      current = await this.update(current, j => { j.copies = ids }, [{ type: 'copies', message: `printing ${ids.length} copies: ${ids.join(', ')}` }])
      for (const id of ids) this.drive(id)
    }
    const copies = await Promise.all((current.copies ?? []).map(async id => this.mustGet(id)))
    const outcome = copiesOutcome(copies)
    if (outcome === undefined) return
    const summary = `${copies.filter(c => c.state === 'done').length} of ${copies.length} copies printed`
    const ended = await this.update(current, j => {
      j.state = outcome
      j.result = gcode
      if (outcome !== 'done') j.error = `${summary}: ${copies.filter(c => c.state !== 'done').map(c => `${c.id} ${c.state}${c.error != null ? ` (${c.error})` : ''}`).join('; ')}`
    }, [{ type: outcome, message: summary }])
    await this.notify(ended)
  }

  private async fail (job: JobRecord, error: string): Promise<void> {
    const failed = await this.update(job, j => { j.state = 'failed'; j.error = error }, [{ type: 'failed', message: error }])
    await this.notify(failed)
  }

  private async notify (job: JobRecord): Promise<void> {
    if (job.options.notify == null) return
    await notify(job.options.notify, job).then(
      async () => this.store.update(job.id, job.rev, () => {}, [{ type: 'notified', message: `notified ${job.options.notify}` }]),
      async (err: Error) => this.store.update(job.id, job.rev, () => {}, [{ type: 'notify-failed', message: `notifying ${job.options.notify} failed: ${err.message}` }])
    ).catch(() => {})
  }

  private async update (job: JobRecord, change: (job: JobRecord) => void, events: NewEvent[]): Promise<JobRecord> {
    const next = await this.store.update(job.id, job.rev, change, events)
    this.dispatchEvent(new CustomEvent('job', { detail: next }))
    if (TERMINAL_JOB_STATES.includes(next.state)) this.queueKeys.delete(next.id)
    if (next.copyOf != null && TERMINAL_JOB_STATES.includes(next.state)) this.drive(next.copyOf)
    return next
  }

  private async mustGet (id: string): Promise<JobRecord> {
    const job = await this.store.get(id)
    if (job == null) throw new Error(`job ${id} vanished from the store`)
    return job
  }

  private async sleep (id: string, ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      function done (): void { clearTimeout(timer); resolve() }
      this.wakers.set(id, done)
    })
    this.wakers.delete(id)
  }

  private wake (id: string): void {
    this.wakers.get(id)?.()
  }
}

/** What decides whether a peer can take a stage at all: peers busy for one market may be free for another. */
function marketOf (spec: StageSpec): string {
  const gcode = spec.input?.gcode
  return JSON.stringify([spec.kind, spec.printer, spec.material, gcode?.material, gcode?.nozzleMm, gcode?.extentXMm, gcode?.extentYMm, gcode?.extentZMm])
}

/**
 * The best accepting bid: a cached result first, then the earliest finish, then the input already held; ties by
 * peer id. A bid's estimate is added again for each stage awarded to its bidder since the round opened
 * (`awardedSince`): the rounds of a burst are open together, and no bid in them knows of the others' awards,
 * so without this every stage of a burst went to the one peer that bid the earliest finish, and the others sat
 * idle until results came back. For a bidder with stages queued this overstates what one more costs, which
 * only sends the burst on to the others sooner. A bid to finish at once (a free slot, no run yet) moves back
 * as its bidder would bid once that slot is taken. A cached result takes no slot and does not move.
 */
export function pickWinner (bids: BidRecord[], awardedSince: (peerId: string) => number = () => 0): BidRecord | undefined {
  const finish = (bid: BidRecord): number => bid.cached ? bid.etaMs : bid.etaMs + awardedSince(bid.peerId) * (bid.etaMs > 0 ? bid.etaMs : UNKNOWN_RUN_MS)
  return bids.filter(b => b.accept).map(bid => ({ bid, finish: finish(bid) })).sort((a, b) =>
    Number(b.bid.cached) - Number(a.bid.cached) || a.finish - b.finish || Number(b.bid.holdsInput) - Number(a.bid.holdsInput) || (a.bid.peerId < b.bid.peerId ? -1 : a.bid.peerId > b.bid.peerId ? 1 : 0)
  )[0]?.bid
}

const NOTHING: Omit<Request, 'kind'> = { token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [], wantOutput: false }

/** A stage's announcement to one peer: its answer carries the peer's bid. */
function announceRequest (stage: StageSpec): Request {
  return { ...NOTHING, kind: MarketRequest.Kind.ANNOUNCE, stage }
}

function awardRequest (award: Award): Request {
  return { ...NOTHING, kind: MarketRequest.Kind.AWARD, award }
}

/** A queue command named a job that has ended: it waits for no printer any more. */
class JobEndedError extends Error {
  constructor (id: string) {
    super(`job ${id} has ended: it is in no queue`)
    this.name = 'JobEndedError'
  }
}
