import type { JobRecord } from '../jobs/job.js'
import type { PrintProgress } from '../printer/print-progress.js'
import type { PrinterController } from '../printer/printer-controller.js'

/** One pushed event; ids grow by one, so a client that reconnects says the last one it saw. */
export interface MeshEvent {
  id: number
  type: 'job' | 'stage' | 'progress' | 'printer' | 'peer'
  at: number
  data: Record<string, unknown>
}

/** Events kept for clients that reconnect: a few minutes of a busy workshop. */
export const EVENTS_KEPT = 4096
/** A printing printer's progress and temperatures at most this often, so a long print cannot fill the ring. */
const PRINT_PROGRESS_EVERY_MS = 1000

type Listener = (event: MeshEvent) => void

/** The sources a node's events come from; each is an EventTarget or an emitter it already has. */
export interface EventSources {
  /** The coordinator: `job` (a JobRecord after each change) and `progress` ({ jobId, index, progress }). */
  jobs: EventTarget
  /** The capability service: `peer:joined`, `peer:updated` (a new record: load, queue, printers) and `peer:left`. */
  peers: EventTarget
  /** This node's printers: each reports its state and, while printing, its progress. */
  printers: Array<Pick<PrinterController, 'config' | 'on' | 'off' | 'status'>>
}

/**
 * What happened on this node, as a stream of numbered events held in a bounded ring: live subscribers get each
 * as it happens, and one that comes back with the last id it saw gets those it missed, as long as the ring
 * still holds them.
 */
export class EventLog {
  private readonly ring: MeshEvent[] = []
  private readonly listeners = new Set<Listener>()
  private readonly capacity: number
  private nextId = 1
  /** Each running job's stage states as last seen, to tell which stage changed. */
  private readonly stageStates = new Map<string, string[]>()

  constructor (capacity = EVENTS_KEPT) {
    this.capacity = capacity
  }

  push (type: MeshEvent['type'], data: Record<string, unknown>): void {
    const event: MeshEvent = { id: this.nextId++, type, at: Date.now(), data }
    this.ring.push(event)
    if (this.ring.length > this.capacity) this.ring.shift()
    for (const listener of this.listeners) listener(event)
  }

  /** Held events with an id above `afterId`, oldest first. */
  since (afterId: number): MeshEvent[] {
    const first = this.ring.findIndex(e => e.id > afterId)
    return first < 0 ? [] : this.ring.slice(first)
  }

  subscribe (listener: Listener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Turns the node's own events into mesh events; returns what stops listening. */
  watch (sources: EventSources): () => void {
    const onJob = (evt: Event): void => { this.jobChanged((evt as CustomEvent<JobRecord>).detail) }
    const onProgress = (evt: Event): void => { this.push('progress', { ...(evt as CustomEvent).detail }) }
    const onJoined = (evt: Event): void => { this.push('peer', { change: 'joined', ...peerOf(evt) }) }
    const onLeft = (evt: Event): void => { this.push('peer', { change: 'left', ...peerOf(evt) }) }
    const onUpdated = (evt: Event): void => { this.push('peer', { change: 'updated', ...peerOf(evt) }) }
    sources.jobs.addEventListener('job', onJob)
    sources.jobs.addEventListener('progress', onProgress)
    sources.peers.addEventListener('peer:joined', onJoined)
    sources.peers.addEventListener('peer:left', onLeft)
    sources.peers.addEventListener('peer:updated', onUpdated)
    const printerStops = sources.printers.map(printer => {
      const name = printer.config.name
      const onState = (state: string): void => { this.push('printer', { name, state, temperatures: printer.status().temperatures }) }
      let lastProgress = 0
      const onProgress = (jobId: string, progress: PrintProgress): void => {
        if (Date.now() - lastProgress < PRINT_PROGRESS_EVERY_MS) return
        lastProgress = Date.now()
        this.push('printer', { name, state: 'printing', jobId, progress: progress.bytesTotal > 0 ? progress.bytesAcked / progress.bytesTotal : 0, layer: progress.layer, remainingMs: progress.remainingMs, temperatures: progress.temperatures })
      }
      printer.on('printer:state', onState)
      printer.on('printer:progress', onProgress)
      return () => {
        printer.off('printer:state', onState)
        printer.off('printer:progress', onProgress)
      }
    })
    return () => {
      sources.jobs.removeEventListener('job', onJob)
      sources.jobs.removeEventListener('progress', onProgress)
      sources.peers.removeEventListener('peer:joined', onJoined)
      sources.peers.removeEventListener('peer:left', onLeft)
      sources.peers.removeEventListener('peer:updated', onUpdated)
      for (const stop of printerStops) stop()
    }
  }

  /** A job event for every stored change, and a stage event for each stage whose state changed with it. */
  private jobChanged (job: JobRecord): void {
    const before = this.stageStates.get(job.id) ?? []
    for (const stage of job.stages) {
      if (before[stage.index] === stage.state) continue
      this.push('stage', { jobId: job.id, index: stage.index, kind: stage.kind, state: stage.state, peerName: stage.peerName, error: stage.error })
    }
    this.push('job', { jobId: job.id, state: job.state, updatedAt: job.updatedAt, error: job.error })
    if (job.state === 'running') this.stageStates.set(job.id, job.stages.map(s => s.state))
    else this.stageStates.delete(job.id)
  }
}

function peerOf (evt: Event): { peerId: string, name: string } {
  const { peerId, name } = (evt as CustomEvent<{ peerId: string, name: string }>).detail
  return { peerId, name }
}
