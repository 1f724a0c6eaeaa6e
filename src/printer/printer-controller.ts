import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { logger } from '@libp2p/logger'
import type { CheckpointJournal, PrintCheckpoint } from './checkpoint-journal.js'
import { PrinterNotReadyError } from './errors.js'
import { GcodeSender, type GcodeSenderOptions } from './gcode-sender.js'
import type { HeatGate } from './heat-up.js'
import type { PrintProgress } from './print-progress.js'
import type { PrinterConfig } from './printer-config.js'
import { printerRefusal, type PrintRequirements } from './printer-refusal.js'
import type { TemperatureReading } from './temperatures.js'
import type { PrinterTransport } from './transport.js'
import { connectInProcess } from './virtual/in-process-link.js'
import { VirtualPrinter } from './virtual/virtual-printer.js'

export type PrinterState = 'offline' | 'idle' | 'printing' | 'waiting-for-power' | 'paused' | 'bed-occupied' | 'interrupted'

/** The power budget of the printer's group, as a printer uses it: see PowerBudget. */
export interface PrinterPower {
  acquire: (printer: string, signal: AbortSignal) => Promise<void>
  release: (printer: string) => void
}

export interface PrinterControllerInit {
  config: PrinterConfig
  journal: CheckpointJournal
  /** How to reach the printer; by default its serial port, or an in-process virtual printer for port "virtual". */
  openLink?: (config: PrinterConfig) => Promise<PrinterTransport>
  senderOptions?: GcodeSenderOptions
  /** How often an offline printer's port is looked for. */
  pollMs?: number
  checkpointEveryMs?: number
  /** Set when the node's printers share a power group: each print waits for a slot before it heats. */
  power?: PrinterPower
}

export interface ControllerPrintOptions {
  /** Extra commands after the reheat preamble and before the file, e.g. `G28 X Y` when resuming. */
  preamble?: readonly string[]
}

/** How a print ended. An interrupted print waits for an operator's `resume()`; it never restarts by itself. */
export interface PrintEnd {
  jobId: string
  status: 'finished' | 'cancelled' | 'interrupted'
  progress: PrintProgress | null
  reason?: string
}

export interface PrinterStatus {
  name: string
  state: PrinterState
  material: string
  nozzleMm: number
  bed: PrinterConfig['bed']
  currentJob?: string
  /** Fraction of the file's bytes acknowledged, 0..1. */
  progress?: number
  temperatures: TemperatureReading
  interrupted?: PrintCheckpoint
}

/** What an operator changes on a printer without a restart: the filament loaded, the nozzle fitted. */
export interface PrinterLoad {
  material?: string
  nozzleMm?: number
}

interface PrinterEvents {
  'printer:state': [PrinterState]
  'printer:loaded': [PrinterLoad]
  'printer:progress': [string, PrintProgress]
  'printer:print-end': [PrintEnd]
}

const log = logger('meshnode:printer')

/**
 * One configured printer: keeps its link up (an unplugged printer is offline, never fatal), runs one print at a
 * time, journals checkpoints, and holds the bed interlock between prints.
 */
export class PrinterController extends EventEmitter<PrinterEvents> {
  private current: PrinterConfig
  private readonly journal: CheckpointJournal
  private readonly openLink: (config: PrinterConfig) => Promise<PrinterTransport>
  private readonly pollMs: number
  private readonly checkpointEveryMs: number
  private readonly senderOptions: GcodeSenderOptions
  private virtualPrinter: VirtualPrinter | null = null
  private sender: GcodeSender | null = null
  private checkpoint: PrintCheckpoint | undefined
  private active: { jobId: string, gcodePath: string } | null = null
  private stopped = false
  private pollTimer: NodeJS.Timeout | null = null
  private connecting: Promise<void> | null = null
  private journalWrites: Promise<void> = Promise.resolve()
  private lastState: PrinterState = 'offline'
  private readonly power: PrinterPower | undefined
  private waitingForPower = false

  constructor (init: PrinterControllerInit) {
    super()
    this.current = init.config
    this.journal = init.journal
    this.openLink = init.openLink ?? (async (config) => await this.defaultLink(config))
    this.pollMs = init.pollMs ?? 2000
    this.checkpointEveryMs = init.checkpointEveryMs ?? 3000
    this.senderOptions = init.senderOptions ?? {}
    this.power = init.power
  }

  get config (): PrinterConfig { return this.current }

  /** The operator loaded another filament or fitted another nozzle: the printer takes and refuses prints by it at once. */
  load (change: PrinterLoad): void {
    this.current = { ...this.current, ...change }
    this.emit('printer:loaded', change)
  }

  /** Whether the link to the printer is up, whatever the state of its prints. */
  get online (): boolean { return this.sender !== null }

  get state (): PrinterState {
    if (this.active !== null) return this.sender?.isPaused === true ? 'paused' : this.waitingForPower ? 'waiting-for-power' : 'printing'
    if (this.checkpoint !== undefined && this.checkpoint.status !== 'finished') return 'interrupted'
    if (this.sender === null) return 'offline'
    if (this.checkpoint?.status === 'finished') return 'bed-occupied'
    return 'idle'
  }

  /** Reads the journal, then connects in the background. Never throws for a missing or failing printer. */
  async start (): Promise<void> {
    this.stopped = false
    this.checkpoint = await this.journal.read(this.config.name)
    if (this.checkpoint?.status === 'printing' || this.checkpoint?.status === 'paused') {
      log('%s: job %s was printing when the node stopped; marking it interrupted', this.config.name, this.checkpoint.jobId)
      await this.journalWrite({ ...this.checkpoint, status: 'interrupted', reason: 'the node stopped during the print', time: Date.now() })
    }
    if (this.checkpoint?.status === 'finished' && this.config.bedClearsItself) await this.clearJournal()
    this.emitState()
    await this.poll()
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.pollTimer !== null) clearTimeout(this.pollTimer)
    await this.connecting
    await this.sender?.close()
    this.sender = null
    await this.journalWrites
    await this.virtualPrinter?.close()
    this.virtualPrinter = null
  }

  /** Null when this printer could take the print now; otherwise the reason it cannot. */
  refusal (needs: PrintRequirements): string | null {
    return this.stateRefusal() ?? printerRefusal(this.config, needs)
  }

  status (): PrinterStatus {
    const progress = this.sender?.progress()
    const status: PrinterStatus = {
      name: this.config.name,
      state: this.state,
      material: this.config.material,
      nozzleMm: this.config.nozzleMm,
      bed: this.config.bed,
      temperatures: this.sender?.temperatures ?? {}
    }
    if (this.active !== null) {
      status.currentJob = this.active.jobId
      if (progress != null && progress.bytesTotal > 0) status.progress = progress.bytesAcked / progress.bytesTotal
    }
    if (this.state === 'interrupted') status.interrupted = this.checkpoint
    return status
  }

  /** Prints a file from its first line. Throws PrinterNotReadyError unless the printer is idle. */
  async print (jobId: string, gcodePath: string, options: ControllerPrintOptions = {}): Promise<PrintEnd> {
    const refusal = this.stateRefusal()
    if (refusal !== null) throw new PrinterNotReadyError(refusal)
    return await this.run(jobId, gcodePath, 1, [...(options.preamble ?? [])])
  }

  /**
   * The operator's decision to continue an interrupted print from file line `fromLine`: heaters go back to the
   * journaled targets (M104/M140, then M109/M190) before the file continues.
   */
  async resume (jobId: string, fromLine: number, options: ControllerPrintOptions = {}): Promise<PrintEnd> {
    const checkpoint = this.checkpoint
    if (this.state !== 'interrupted' || checkpoint === undefined || checkpoint.jobId !== jobId) {
      throw new PrinterNotReadyError(`printer ${this.config.name} has no interrupted print of job ${jobId}`)
    }
    if (this.sender === null) throw new PrinterNotReadyError(`printer ${this.config.name} is offline`)
    if (!Number.isInteger(fromLine) || fromLine < 1) throw new PrinterNotReadyError(`cannot resume from line ${fromLine}`)
    return await this.run(jobId, checkpoint.gcodePath, fromLine, [...reheatPreamble(checkpoint.temperatures), ...(options.preamble ?? [])])
  }

  /** Gives up an interrupted print: its part stays on the bed until `clearBed()`. */
  async abandon (jobId: string): Promise<void> {
    if (this.state !== 'interrupted' || this.checkpoint?.jobId !== jobId) throw new PrinterNotReadyError(`printer ${this.config.name} has no interrupted print of job ${jobId}`)
    await this.journalWrite({ ...this.checkpoint, status: 'finished', time: Date.now() })
    this.emitState()
  }

  /** The operator confirms the bed is empty. */
  async clearBed (): Promise<void> {
    if (this.state !== 'bed-occupied') return
    await this.clearJournal()
    this.emitState()
  }

  async pause (): Promise<void> {
    if (this.active === null || this.sender === null) throw new PrinterNotReadyError(`printer ${this.config.name} is not printing`)
    await this.sender.pause()
    await this.writeCheckpoint('paused')
    this.emitState()
  }

  async resumePaused (): Promise<void> {
    if (this.state !== 'paused' || this.sender === null) throw new PrinterNotReadyError(`printer ${this.config.name} is not paused`)
    this.sender.resume()
    await this.writeCheckpoint('printing')
    this.emitState()
  }

  cancel (): void {
    if (this.active === null || this.sender === null) throw new PrinterNotReadyError(`printer ${this.config.name} is not printing`)
    this.sender.cancel()
  }

  private stateRefusal (): string | null {
    const name = this.config.name
    switch (this.state) {
      case 'idle': return null
      case 'offline': return `printer ${name} is offline`
      case 'printing':
      case 'waiting-for-power':
      case 'paused': return `printer ${name} is busy with job ${this.active?.jobId ?? '?'}`
      case 'bed-occupied': return `the bed of printer ${name} holds the part of job ${this.checkpoint?.jobId ?? '?'}; an operator must clear it`
      case 'interrupted': return `printer ${name} has an interrupted print of job ${this.checkpoint?.jobId ?? '?'} awaiting an operator`
    }
  }

  private async run (jobId: string, gcodePath: string, fromLine: number, preamble: string[]): Promise<PrintEnd> {
    const sender = this.sender
    if (sender === null) throw new PrinterNotReadyError(`printer ${this.config.name} is offline`)
    this.active = { jobId, gcodePath }
    this.checkpoint = { printer: this.config.name, jobId, gcodePath, status: 'printing', lastAckedLine: fromLine - 1, byteOffset: 0, z: null, temperatures: sender.temperatures, time: Date.now() }
    await this.journalWrite(this.checkpoint)
    this.emitState()
    const timer = setInterval(() => { void this.writeCheckpoint(sender.isPaused ? 'paused' : 'printing') }, this.checkpointEveryMs)
    let end: PrintEnd
    try {
      const outcome = await sender.print(gcodePath, {
        fromLine,
        preamble,
        parkGcode: this.config.parkGcode,
        resumeGcode: this.config.resumeGcode,
        cancelGcode: this.config.cancelGcode,
        heatGate: this.heatGate(),
        onProgress: (progress) => { this.emit('printer:progress', jobId, progress) }
      })
      end = { jobId, status: outcome.status, progress: outcome.progress }
    } catch (err) {
      end = { jobId, status: 'interrupted', progress: sender.progress(), reason: (err as Error).message }
    } finally {
      clearInterval(timer)
    }
    await this.writeCheckpoint(end.status === 'interrupted' ? 'interrupted' : 'finished', end.reason, sender)
    this.active = null
    if (end.status !== 'interrupted' && this.config.bedClearsItself) await this.clearJournal()
    log('%s: job %s %s%s', this.config.name, jobId, end.status, end.reason === undefined ? '' : ': ' + end.reason)
    this.emit('printer:print-end', end)
    this.emitState()
    return end
  }

  /** The print's way to the power budget: while it waits, the printer says so. */
  private heatGate (): HeatGate | undefined {
    const power = this.power
    if (power === undefined) return undefined
    const name = this.config.name
    return {
      acquire: async (signal) => {
        this.waitingForPower = true
        this.emitState()
        try {
          await power.acquire(name, signal)
        } finally {
          this.waitingForPower = false
          this.emitState()
        }
      },
      release: () => { power.release(name) }
    }
  }

  /** `sender` is passed in because a link that just dropped has already been forgotten by the controller. */
  private async writeCheckpoint (status: PrintCheckpoint['status'], reason?: string, sender = this.sender): Promise<void> {
    const current = this.checkpoint
    if (current === undefined || this.active === null) return
    const progress = sender?.progress()
    const next: PrintCheckpoint = { ...current, status, time: Date.now(), temperatures: sender?.temperatures ?? current.temperatures }
    if (progress != null) {
      next.lastAckedLine = progress.lastFileLine
      next.byteOffset = progress.bytesAcked
      next.z = progress.z
    }
    if (reason !== undefined) next.reason = reason
    await this.journalWrite(next)
  }

  /** Writes are chained so a slow periodic checkpoint never lands after the final one. */
  private async journalWrite (checkpoint: PrintCheckpoint): Promise<void> {
    this.checkpoint = checkpoint
    this.journalWrites = this.journalWrites.then(async () => { await this.journal.write(checkpoint) }, () => {})
    await this.journalWrites
  }

  private async clearJournal (): Promise<void> {
    this.checkpoint = undefined
    this.journalWrites = this.journalWrites.then(async () => { await this.journal.clear(this.config.name) })
    await this.journalWrites
  }

  private async poll (): Promise<void> {
    if (this.stopped) return
    if (this.sender === null) {
      this.connecting = this.connect()
      await this.connecting
      this.connecting = null
    }
    if (!this.stopped) this.pollTimer = setTimeout(() => { void this.poll() }, this.pollMs)
  }

  private async connect (): Promise<void> {
    const { port, name } = this.config
    if (port !== 'virtual' && !existsSync(port)) return
    let link: PrinterTransport | undefined
    try {
      link = await this.openLink(this.config)
      const sender = new GcodeSender(link, this.senderOptions)
      link.onClose((reason) => {
        if (this.sender !== sender) return
        log('%s: link closed: %s', name, reason)
        this.sender = null
        this.emitState()
      })
      await sender.connect()
      if (this.stopped || !link.isOpen) {
        await sender.close()
        return
      }
      this.sender = sender
      log('%s: online (%s)', name, sender.firmware?.name)
      this.emitState()
    } catch (err) {
      log('%s: cannot connect on %s: %e', name, port, err)
      await link?.close()
    }
  }

  private async defaultLink (config: PrinterConfig): Promise<PrinterTransport> {
    // serialport is loaded by the nodes that have a serial printer, not by every peer at start.
    if (config.port !== 'virtual') return await (await import('./serial-transport.js')).openSerialTransport(config.port, config.baud)
    this.virtualPrinter ??= new VirtualPrinter({
      baud: config.baud,
      speedUp: config.virtual?.speedUp,
      faults: config.virtual?.faults,
      seed: config.virtual?.seed,
      recordFile: config.virtual?.recordFile,
      heatLogFile: config.virtual?.heatLogFile
    })
    return connectInProcess(this.virtualPrinter)
  }

  private emitState (): void {
    const state = this.state
    if (state === this.lastState) return
    this.lastState = state
    this.emit('printer:state', state)
  }
}

/** M104/M140 first so both heaters warm together, then M109/M190 to wait for each. */
export function reheatPreamble (temperatures: TemperatureReading): string[] {
  const hotend = temperatures.T?.target ?? temperatures.T0?.target ?? 0
  const bed = temperatures.B?.target ?? 0
  const lines: string[] = []
  if (hotend > 0) lines.push(`M104 S${hotend}`)
  if (bed > 0) lines.push(`M140 S${bed}`)
  if (hotend > 0) lines.push(`M109 S${hotend}`)
  if (bed > 0) lines.push(`M190 S${bed}`)
  return lines
}
