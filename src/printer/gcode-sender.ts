import { logger } from '@libp2p/logger'
import { CommunicationTimeoutError, FirmwareError, HandshakeError, PrinterDisconnectedError, PrinterNotReadyError } from './errors.js'
import { parseFirmwareInfo, type FirmwareInfo } from './firmware-info.js'
import { HeatUp, type HeatGate } from './heat-up.js'
import { frameLine } from './checksum.js'
import { readGcodeBatches, surveyGcodeFile, type GcodeFileCommand } from './gcode-file.js'
import { LineLedger } from './line-ledger.js'
import { ProgressTracker, type PrintProgress } from './print-progress.js'
import { parseFirmwareResponse } from './response.js'
import { targetSetBy, type TemperatureReading } from './temperatures.js'
import { LineSplitter, type PrinterTransport } from './transport.js'

const log = logger('meshnode:printer:sender')

export interface GcodeSenderOptions {
  /** How long to wait for the firmware's `start` banner after opening; boards that do not reset never send one. */
  bannerTimeoutMs?: number
  /** How long a handshake command (M110, M115, M155) may wait for its `ok`. */
  answerTimeoutMs?: number
  /** Quiet time with lines owed after which their answers are presumed lost and the stream re-probes. */
  probeMs?: number
  /** Quiet time after which the print fails with CommunicationTimeoutError. `busy:` resets the clock. */
  timeoutMs?: number
  /** Consecutive resend requests for one line before TooManyResendsError. */
  maxResends?: number
  historySize?: number
  /** Upper bound on lines in flight when the firmware advertises free buffer slots (ADVANCED_OK). */
  maxInFlight?: number
  /** Temperature report interval asked of firmware with AUTOREPORT_TEMP, or the M105 polling interval. */
  temperatureIntervalS?: number
}

export interface PrintOptions {
  /** File line to start at (1-based); for resuming an interrupted print. */
  fromLine?: number
  /** Commands sent before the file, e.g. a reheat preamble. */
  preamble?: readonly string[]
  parkGcode?: readonly string[]
  resumeGcode?: readonly string[]
  cancelGcode?: readonly string[]
  /** Called at most every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: PrintProgress) => void
  progressIntervalMs?: number
  /** Taken before the print's first heater target reaches the firmware, given back once the heat-up ends. */
  heatGate?: HeatGate
}

export interface PrintOutcome {
  status: 'finished' | 'cancelled'
  progress: PrintProgress
}

/** Heaters off, part fan off, motors off: what a cancelled print leaves behind unless configured otherwise. */
export const DEFAULT_CANCEL_GCODE: readonly string[] = ['M104 S0', 'M140 S0', 'M107', 'M84']

const HEAT_WAIT = /^(M109|M190|M191)\b/i

interface SentLine {
  command: string
  file?: GcodeFileCommand
  /** Lines the firmware sends before the `ok` of a handshake command. */
  answer?: string[]
  answered?: () => void
}

type Mode = 'running' | 'pausing' | 'parking' | 'paused' | 'draining-to-cancel' | 'cancelling'

/**
 * Streams G-code to Marlin-style firmware: numbered, checksummed lines, as many in flight as the firmware
 * has room for, resends on request, temperatures and progress on the way.
 */
export class GcodeSender {
  private readonly options: Required<GcodeSenderOptions>
  private readonly ledger: LineLedger<SentLine>
  private firmwareInfo: FirmwareInfo | undefined
  private window = 1
  /** The firmware's command buffer, as its `B` reports have shown it so far. */
  private bufferSlots = 0
  private temperatureReading: TemperatureReading = {}
  private failure: Error | null = null
  private waiters: Array<() => void> = []
  private ticker: NodeJS.Timeout | null = null
  private bannerSeen: (() => void) | null = null
  private lastHeard = Date.now()
  private quietSince = Date.now()
  private probing = false
  private lastProbe = 0
  private lastTemperaturePoll = 0
  private mode: Mode = 'running'
  private injected: string[] = []
  private tracker: ProgressTracker | null = null
  private trackedThrough = 0
  private printing = false
  private printOptions: PrintOptions = {}
  private pauseWaiters: Array<() => void> = []
  private heatUp: HeatUp | null = null
  private gateHeld = false
  private gateAbort = new AbortController()

  constructor (private readonly transport: PrinterTransport, options: GcodeSenderOptions = {}) {
    this.options = {
      bannerTimeoutMs: 2000,
      answerTimeoutMs: 5000,
      probeMs: 5000,
      timeoutMs: 30000,
      maxResends: 10,
      historySize: 256,
      maxInFlight: 4,
      temperatureIntervalS: 2,
      ...options
    }
    this.ledger = new LineLedger(this.options.historySize, this.options.maxResends)
    const splitter = new LineSplitter((line) => { this.onLine(line) })
    transport.onData((chunk) => { splitter.push(chunk) })
    transport.onClose((reason) => { this.fail(new PrinterDisconnectedError(reason)) })
  }

  get firmware (): FirmwareInfo | undefined { return this.firmwareInfo }
  get temperatures (): TemperatureReading { return this.temperatureReading }
  get isPrinting (): boolean { return this.printing }
  get isPaused (): boolean { return this.mode === 'paused' }

  /** Waits for the banner, resets line numbering, reads M115 and turns on temperature auto-reports. */
  async connect (): Promise<FirmwareInfo> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.bannerTimeoutMs)
      this.bannerSeen = () => { clearTimeout(timer); resolve() }
    })
    this.bannerSeen = null
    this.throwIfFailed()
    await this.handshake('M110 N0', 3)
    const info = parseFirmwareInfo(await this.handshake('M115', 1))
    this.firmwareInfo = info
    if (info.capabilities.AUTOREPORT_TEMP === true) await this.handshake(`M155 S${this.options.temperatureIntervalS}`, 1)
    log('connected to %s, capabilities %o', info.name, info.capabilities)
    return info
  }

  /** Sends one unnumbered command outside a print and returns the lines the firmware answered before `ok`. */
  async command (text: string, timeoutMs = this.options.answerTimeoutMs): Promise<string[]> {
    this.throwIfFailed()
    let answered = false
    const sent: SentLine = { command: text, answer: [], answered: () => { answered = true } }
    this.writePlain(text, sent)
    const deadline = Date.now() + timeoutMs
    while (!answered) {
      this.throwIfFailed()
      if (Date.now() > deadline) throw new CommunicationTimeoutError(timeoutMs)
      await this.waitForChange()
    }
    return sent.answer ?? []
  }

  /**
   * Prints a G-code file from disk, read line by line. Resolves when every line is acknowledged (or the
   * cancel G-code is); rejects with the named error that stopped it (disconnect, timeout, firmware error).
   */
  async print (path: string, options: PrintOptions = {}): Promise<PrintOutcome> {
    if (this.printing) throw new PrinterNotReadyError('a print is already running on this link')
    this.throwIfFailed()
    this.printing = true
    const fromLine = options.fromLine ?? 1
    const source = readGcodeBatches(path, fromLine)
    try {
      const survey = await surveyGcodeFile(path, fromLine)
      this.tracker = new ProgressTracker(survey.commands, survey.bytes, fromLine, survey.startByte)
      this.printOptions = options
      this.heatUp = options.heatGate == null ? null : new HeatUp()
      this.gateAbort = new AbortController()
      this.mode = 'running'
      this.ledger.reset()
      this.trackedThrough = 0
      this.writePlain('M110 N0', { command: 'M110 N0' })
      this.injected = [...(options.preamble ?? [])]
      const status = await this.pump(source, options.progressIntervalMs ?? 200)
      const progress = this.tracker.snapshot()
      options.onProgress?.(progress)
      return { status, progress }
    } finally {
      this.printing = false
      this.gateAbort.abort()
      this.giveBackHeatGate()
      this.heatUp = null
      this.pauseWaiters.forEach((resolve) => { resolve() })
      this.pauseWaiters = []
      await source.return(undefined)
    }
  }

  /** Stops feeding the file, waits for what is in flight, then runs the park G-code. Resolves once parked. */
  async pause (): Promise<void> {
    if (!this.printing || this.mode !== 'running') return
    this.mode = 'pausing'
    this.wake()
    await new Promise<void>((resolve) => { this.pauseWaiters.push(resolve) })
  }

  /** Continues a paused print, after the resume G-code. */
  resume (): void {
    if (this.mode !== 'paused' && this.mode !== 'pausing' && this.mode !== 'parking') return
    this.injected.push(...(this.printOptions.resumeGcode ?? []))
    this.mode = 'running'
    this.wake()
  }

  /** Stops the print; the print's promise resolves 'cancelled' once the cancel G-code is acknowledged. */
  cancel (): void {
    if (!this.printing || this.mode === 'draining-to-cancel' || this.mode === 'cancelling') return
    this.mode = 'draining-to-cancel'
    this.injected = []
    this.gateAbort.abort()
    // The emergency parser acts on M108 at once, which breaks a heat-up wait that would hold the cancel back.
    if (this.firmwareInfo?.capabilities.EMERGENCY_PARSER === true) this.writePlain('M108', { command: 'M108' })
    this.wake()
  }

  progress (): PrintProgress | null { return this.tracker?.snapshot() ?? null }

  async close (): Promise<void> {
    this.fail(new PrinterDisconnectedError('closed by the host'))
    this.stopTicker()
    await this.transport.close()
  }

  private async pump (source: AsyncGenerator<GcodeFileCommand[]>, progressIntervalMs: number): Promise<'finished' | 'cancelled'> {
    let fileDone = false
    let batch: GcodeFileCommand[] = []
    let nextInBatch = 0
    let lastReport = 0
    for (;;) {
      this.checkSilence()
      this.throwIfFailed()
      if (Date.now() - lastReport >= progressIntervalMs && this.tracker !== null) {
        lastReport = Date.now()
        this.printOptions.onProgress?.(this.tracker.snapshot())
      }
      if (this.ledger.inFlight >= this.window) {
        await this.waitForChange()
        continue
      }
      const resend = this.mode === 'draining-to-cancel' ? null : this.ledger.pendingResend()
      if (resend !== null) {
        this.writeNumbered(resend.meta ?? { command: resend.command })
        continue
      }
      const injected = this.injected[0]
      if (injected !== undefined) {
        if (await this.waitedForHeatGate(injected)) continue
        this.injected.shift()
        this.heatUp?.sent(injected)
        this.writeNumbered({ command: injected })
        continue
      }
      if (this.temperaturePollDue()) {
        this.writePlain('M105', { command: 'M105' })
        continue
      }
      const idle = this.ledger.inFlight === 0
      switch (this.mode) {
        case 'draining-to-cancel':
          if (idle) this.startCancelGcode()
          else await this.waitForChange()
          continue
        case 'cancelling':
          if (idle) return 'cancelled'
          await this.waitForChange()
          continue
        case 'pausing':
          if (idle) {
            this.mode = 'parking'
            this.injected.push(...(this.printOptions.parkGcode ?? []))
          } else await this.waitForChange()
          continue
        case 'parking':
          if (idle) {
            this.mode = 'paused'
            this.pauseWaiters.forEach((resolve) => { resolve() })
            this.pauseWaiters = []
          } else await this.waitForChange()
          continue
        case 'paused':
          await this.waitForChange()
          continue
        case 'running':
          break
      }
      if (nextInBatch < batch.length) {
        const file = batch[nextInBatch]
        if (await this.waitedForHeatGate(file.command)) continue
        nextInBatch++
        this.heatUp?.sent(file.command)
        this.writeNumbered({ command: file.command, file })
        continue
      }
      if (!fileDone) {
        const next = await source.next()
        if (next.done === true) fileDone = true
        else {
          batch = next.value
          nextInBatch = 0
        }
        continue
      }
      if (idle) return 'finished'
      await this.waitForChange()
    }
  }

  /**
   * Holds the print before the command that would start its heat-up until the heat gate lets it heat; true when
   * it waited, so the pump looks again at what to do (a cancel may have come meanwhile).
   */
  private async waitedForHeatGate (command: string): Promise<boolean> {
    const gate = this.printOptions.heatGate
    if (gate == null || this.gateHeld || this.heatUp?.starts(command) !== true) return false
    try {
      await gate.acquire(this.gateAbort.signal)
      this.gateHeld = true
    } catch (err) {
      if (!this.gateAbort.signal.aborted) throw err
    }
    return true
  }

  private heatUpEnded (): void {
    if (this.gateHeld && this.heatUp?.ends(this.temperatureReading) === true) this.giveBackHeatGate()
  }

  private giveBackHeatGate (): void {
    if (!this.gateHeld) return
    this.gateHeld = false
    this.printOptions.heatGate?.release()
  }

  /** Numbering restarts so the cancel G-code does not depend on lines the firmware may still want resent. */
  private startCancelGcode (): void {
    this.mode = 'cancelling'
    this.ledger.reset()
    this.trackedThrough = 0
    this.writePlain('M110 N0', { command: 'M110 N0' })
    this.injected = [...(this.printOptions.cancelGcode ?? DEFAULT_CANCEL_GCODE)]
  }

  private temperaturePollDue (): boolean {
    if (this.firmwareInfo?.capabilities.AUTOREPORT_TEMP === true) return false
    if (Date.now() - this.lastTemperaturePoll < this.options.temperatureIntervalS * 1000) return false
    this.lastTemperaturePoll = Date.now()
    return true
  }

  private async handshake (text: string, attempts: number): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.command(text)
      } catch (err) {
        if (!(err instanceof CommunicationTimeoutError)) throw err
        // The unanswered line would otherwise swallow the next ok.
        this.ledger.probe()
        if (attempt >= attempts) throw new HandshakeError(`no answer to ${text} after ${attempts} attempt(s)`)
      }
    }
  }

  private writeNumbered (sent: SentLine): void {
    this.noteWrite()
    const lineNumber = this.ledger.sendNumbered(sent.command, sent)
    this.transport.write(frameLine(lineNumber, sent.command) + '\n')
  }

  private writePlain (text: string, sent: SentLine): void {
    this.noteWrite()
    this.ledger.sendPlain(sent)
    this.transport.write(text + '\n')
  }

  private noteWrite (): void {
    if (this.ledger.inFlight === 0 && !this.probing) this.quietSince = Date.now()
  }

  private onLine (line: string): void {
    const now = Date.now()
    this.lastHeard = now
    const response = parseFirmwareResponse(line)
    switch (response.kind) {
      case 'ok': {
        this.progressed(now)
        if (response.temperatures !== null) this.temperaturesSeen(response.temperatures)
        const paid = this.ledger.ok()
        if (response.bufferFree !== undefined) this.bufferFreed(response.bufferFree)
        paid?.meta?.answered?.()
        break
      }
      case 'resend':
        this.progressed(now)
        if (this.mode === 'draining-to-cancel') break
        try {
          if (this.ledger.resend(response.lineNumber) === 'stale') log('ignoring stale resend request for line %d', response.lineNumber)
        } catch (err) {
          this.fail(err as Error)
        }
        break
      case 'busy':
        this.progressed(now)
        break
      case 'start':
        if (this.bannerSeen !== null) this.bannerSeen()
        else if (this.printing) this.fail(new PrinterDisconnectedError('the printer restarted during the print'))
        break
      case 'link-error':
        log('link error reported by the firmware: %s', response.message)
        break
      case 'fatal-error':
        this.fail(new FirmwareError(response.message))
        break
      case 'temperatures': {
        this.temperaturesSeen(response.temperatures)
        // A heat-up wait reports temperatures instead of answering; that is progress, not silence.
        const head = this.ledger.head()?.meta?.command
        if (head !== undefined && HEAT_WAIT.test(head)) this.progressed(now)
        break
      }
      case 'other':
        this.ledger.head()?.meta?.answer?.push(response.text)
        break
    }
    this.trackAcknowledged()
    this.heatUpEnded()
    this.wake()
  }

  /**
   * Marlin counts `B` while the line it acknowledges still holds its slot (an idle firmware reports one less
   * than its buffer), so B + 1 slots are free once the `ok` is out, beside the lines still owed. Owed lines
   * still on the wire are not in the buffer yet and would be counted twice: hence the cap at the largest
   * buffer seen. Commands from elsewhere (SD card, LCD) show as a lower B and shrink the window.
   */
  private bufferFreed (free: number): void {
    this.bufferSlots = Math.max(this.bufferSlots, free + 1)
    if (this.firmwareInfo?.capabilities.ADVANCED_OK !== true) return
    this.window = Math.max(1, Math.min(this.ledger.inFlight + free + 1, this.bufferSlots, this.options.maxInFlight))
  }

  private progressed (now: number): void {
    this.quietSince = now
    this.probing = false
  }

  private temperaturesSeen (reading: TemperatureReading): void {
    this.temperatureReading = { ...this.temperatureReading, ...reading }
    this.tracker?.temperaturesSeen(reading)
  }

  private trackAcknowledged (): void {
    while (this.trackedThrough < this.ledger.acknowledged) {
      this.trackedThrough++
      const sent = this.ledger.metaOf(this.trackedThrough)
      if (sent?.file !== undefined) this.tracker?.acknowledge(sent.file)
      if (sent !== undefined) this.heatUp?.acknowledged(sent.command)
      const set = sent === undefined ? null : targetSetBy(sent.command)
      if (set !== null) this.temperaturesSeen({ [set.heater]: { actual: this.temperatureReading[set.heater]?.actual ?? 0, target: set.target } })
    }
  }

  private checkSilence (): void {
    if (this.ledger.inFlight === 0 && !this.probing) return
    const now = Date.now()
    const quiet = now - this.quietSince
    if (quiet > this.options.timeoutMs || now - this.lastHeard > this.options.timeoutMs) {
      this.fail(new CommunicationTimeoutError(Math.max(quiet, now - this.lastHeard)))
    } else if (quiet > this.options.probeMs && now - this.lastProbe > this.options.probeMs) {
      log('no answer for %d ms with %d line(s) owed; probing from line %d', quiet, this.ledger.inFlight, this.ledger.acknowledged + 1)
      this.lastProbe = now
      this.probing = true
      this.ledger.probe()
    }
  }

  private fail (err: Error): void {
    if (this.failure !== null) return
    if (!(err instanceof PrinterDisconnectedError && err.message.endsWith('closed by the host'))) log.error('stopping: %e', err)
    this.failure = err
    this.gateAbort.abort()
    this.wake()
  }

  private throwIfFailed (): void {
    if (this.failure !== null) throw this.failure
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }

  /**
   * Resolves on the next answer or state change, or at the next tick so silence is noticed. One interval
   * serves every wait, rather than a timer armed and cleared for each line; it stops once a tick finds
   * nobody waiting.
   */
  private async waitForChange (): Promise<void> {
    if (this.ticker === null) {
      this.ticker = setInterval(() => {
        if (this.waiters.length > 0) this.wake()
        else this.stopTicker()
      }, Math.min(250, this.options.probeMs))
    }
    await new Promise<void>((resolve) => { this.waiters.push(resolve) })
  }

  private stopTicker (): void {
    if (this.ticker !== null) clearInterval(this.ticker)
    this.ticker = null
  }
}
