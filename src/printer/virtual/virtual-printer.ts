import { createWriteStream, type WriteStream } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import { Heater } from './heater.js'
import { parseHostLine } from './host-line.js'
import type { VirtualFault } from './fault-spec.js'

const log = logger('meshnode:printer:virtual')

export interface VirtualPrinterOptions {
  /** Bounds the line rate the way a real UART would: 10 bits per byte of each line and its answer. */
  baud?: number
  /** Heating, homing and dwell run this many times faster than on a real machine. */
  speedUp?: number
  faults?: readonly VirtualFault[]
  /** Seeds the random resend fault so a failing run can be repeated. */
  seed?: number
  /** Every command run, without N and checksum, one per line, in order. */
  recordFile?: string
  /**
   * A line for every heater target set (`<ms> T set 205`) and every heater wait that ends at its target
   * (`<ms> T reached 205`): when the printer heated, from the printer's side.
   */
  heatLogFile?: string
  /** Planner slots advertised through ADVANCED_OK (`ok N.. P.. B..`). */
  bufferSize?: number
}

/** The printer side of one open link: where answers go, and how to drop the link. */
export interface VirtualLink {
  send: (text: string) => void
  hangUp: (reason: string) => void
}

const HOMING_MS = 3000
const BUSY_INTERVAL_MS = 1000

/**
 * A Marlin-like firmware that takes host lines in and sends answers out, over whatever link it is attached to.
 * It checks line numbers and checksums as Marlin does, so the sender is tested against the same rules.
 */
export class VirtualPrinter {
  private readonly baud: number
  private readonly speedUp: number
  private readonly bufferSize: number
  private readonly faults: VirtualFault[]
  private readonly firedFaults = new Set<VirtualFault>()
  private readonly random: () => number
  private readonly record: WriteStream | null
  private readonly heatLog: WriteStream | null
  private readonly hotend: Heater
  private readonly bed: Heater
  private link: VirtualLink | null = null
  /** Lines received and not yet run, each with the time its last byte arrived. */
  private queue: Array<{ text: string, arrivedAt: number }> = []
  private pending = ''
  private processing = false
  private lastLine = 0
  private busyUntil = 0
  private silentUntil = 0
  private breakWait = false
  private autoReport: NodeJS.Timeout | null = null
  private z = 0
  private acceptedCount = 0
  private peakHeld = 0

  constructor (options: VirtualPrinterOptions = {}) {
    this.baud = options.baud ?? 115200
    this.speedUp = options.speedUp ?? 1
    this.bufferSize = options.bufferSize ?? 4
    this.faults = [...(options.faults ?? [])]
    this.random = mulberry32(options.seed ?? 1)
    this.record = options.recordFile === undefined ? null : createWriteStream(options.recordFile, { flags: 'w' })
    this.heatLog = options.heatLogFile === undefined ? null : createWriteStream(options.heatLogFile, { flags: 'w' })
    this.hotend = new Heater(3 * this.speedUp)
    this.bed = new Heater(1 * this.speedUp)
  }

  /** How many commands the printer has run since it was made. */
  get accepted (): number { return this.acceptedCount }

  /** The most commands it has held at once, received and not yet answered: more than `bufferSize` is an overflow. */
  get peakBuffered (): number { return this.peakHeld }

  /** Plugs a host in. Like a board reset by DTR, the printer forgets line numbering and greets the host. */
  attach (link: VirtualLink): void {
    this.detach()
    this.link = link
    this.lastLine = 0
    this.silentUntil = 0
    link.send('start\necho:meshnode virtual printer\n')
  }

  detach (): void {
    this.link = null
    this.queue = []
    this.pending = ''
    this.stopAutoReport()
  }

  /** Bytes from the host. */
  receive (chunk: string): void {
    this.pending += chunk
    let newline = this.pending.indexOf('\n')
    while (newline >= 0) {
      const line = this.pending.slice(0, newline).replace(/\r$/, '')
      this.pending = this.pending.slice(newline + 1)
      newline = this.pending.indexOf('\n')
      if (Date.now() < this.silentUntil) continue
      // The emergency parser acts on M108 as it arrives, ahead of the queue.
      if (/(^|\s)M108(\s|\*|$)/.test(line)) this.breakWait = true
      this.queue.push({ text: line, arrivedAt: performance.now() })
      this.peakHeld = Math.max(this.peakHeld, this.queue.length + (this.processing ? 1 : 0))
    }
    if (!this.processing) void this.processQueue()
  }

  async close (): Promise<void> {
    this.detach()
    for (const stream of [this.record, this.heatLog]) {
      if (stream !== null) await new Promise<void>((resolve) => { stream.end(resolve) })
    }
  }

  private async processQueue (): Promise<void> {
    this.processing = true
    try {
      for (let line = this.queue.shift(); line !== undefined; line = this.queue.shift()) {
        const link = this.link
        if (link === null) return
        await this.spendLineTime(line.text, line.arrivedAt)
        if (this.link !== link) return
        await this.handle(line.text, link)
      }
    } catch (err) {
      log.error('virtual printer stopped processing: %e', err)
    } finally {
      this.processing = false
    }
  }

  /**
   * Time the line and its `ok` take on the wire at this baud rate; sleeps only once a millisecond is owed.
   * The wire is busy from the later of the line's arrival and the end of the line before: a line that waited
   * in the queue was on the wire while its predecessor ran, so a late wake-up of this process is not charged
   * to the link as well.
   */
  private async spendLineTime (line: string, arrivedAt: number): Promise<void> {
    const bits = (line.length + 1 + 16) * 10
    this.busyUntil = Math.max(arrivedAt, this.busyUntil) + bits * 1000 / this.baud
    const ahead = this.busyUntil - performance.now()
    if (ahead >= 1) await sleep(ahead)
  }

  private async handle (raw: string, link: VirtualLink): Promise<void> {
    const line = parseHostLine(raw)
    switch (line.kind) {
      case 'empty':
        return
      case 'bad-checksum':
        return this.requestResend(link, 'checksum mismatch')
      case 'no-checksum':
        return this.requestResend(link, 'No Checksum with line number')
      case 'no-line-number':
        return this.requestResend(link, 'No Line Number with checksum')
      case 'plain':
        return await this.run(line.command, link)
      case 'numbered':
        break
    }
    if (/^M110\b/i.test(line.command)) {
      this.lastLine = line.lineNumber
      return await this.run(line.command, link)
    }
    if (line.lineNumber !== this.lastLine + 1) return this.requestResend(link, 'Line Number is not Last Line Number+1')
    const fault = this.faultAt(line.lineNumber)
    switch (fault?.kind) {
      case 'resend':
      case 'checksum':
        return this.requestResend(link, 'checksum mismatch')
      case 'no-line-number':
        return this.requestResend(link, 'No Line Number with checksum')
      case 'disconnect':
        log('fault: disconnecting at line %d', line.lineNumber)
        this.detach()
        link.hangUp(`virtual printer disconnected at line ${line.lineNumber}`)
        return
      case 'silence':
        log('fault: silent for %d s at line %d', fault.seconds, line.lineNumber)
        this.lastLine = line.lineNumber
        this.accept(line.command)
        this.silentUntil = Date.now() + fault.seconds * 1000
        this.queue = []
        return
      case undefined:
        this.lastLine = line.lineNumber
        return await this.run(line.command, link)
    }
  }

  /** The fault due when line `lineNumber` arrives as expected; each line-bound fault fires once. */
  private faultAt (lineNumber: number): VirtualFault | undefined {
    for (const fault of this.faults) {
      if (fault.kind === 'resend') {
        if (this.random() < fault.ratio) return fault
        continue
      }
      if (fault.line === lineNumber && !this.firedFaults.has(fault)) {
        this.firedFaults.add(fault)
        return fault
      }
    }
    return undefined
  }

  private requestResend (link: VirtualLink, why: string): void {
    link.send(`Error:${why}, Last Line: ${this.lastLine}\nResend: ${this.lastLine + 1}\nok\n`)
  }

  private accept (command: string): void {
    this.acceptedCount++
    this.record?.write(command + '\n')
  }

  private async run (command: string, link: VirtualLink): Promise<void> {
    this.accept(command)
    const word = command.split(/\s+/)[0].toUpperCase()
    const param = (letter: string): number | undefined => {
      const match = new RegExp(`(?:^|\\s)${letter}(-?\\d*\\.?\\d+)`, 'i').exec(command)
      return match === null ? undefined : Number(match[1])
    }
    switch (word) {
      case 'M105':
        return this.ok(link, ' ' + this.temperatureReport())
      case 'M115':
        link.send([
          'FIRMWARE_NAME:Marlin meshnode-virtual SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:Virtual EXTRUDER_COUNT:1',
          'Cap:AUTOREPORT_TEMP:1', 'Cap:ADVANCED_OK:1', 'Cap:EMERGENCY_PARSER:1', 'Cap:HOST_ACTION_COMMANDS:0', ''
        ].join('\n'))
        return this.ok(link)
      case 'M155':
        this.startAutoReport(link, param('S') ?? 0)
        return this.ok(link)
      case 'M110':
        this.lastLine = param('N') ?? this.lastLine
        return this.ok(link)
      case 'M104':
        this.setTarget('T', param('S') ?? 0)
        return this.ok(link)
      case 'M140':
        this.setTarget('B', param('S') ?? 0)
        return this.ok(link)
      case 'M109':
        this.setTarget('T', param('S') ?? param('R') ?? this.hotend.target)
        await this.waitFor(() => this.hotend.reached(), link, true)
        this.heatReached('T')
        return this.ok(link)
      case 'M190':
        this.setTarget('B', param('S') ?? param('R') ?? this.bed.target)
        await this.waitFor(() => this.bed.reached(), link, true)
        this.heatReached('B')
        return this.ok(link)
      case 'G28': {
        const until = Date.now() + HOMING_MS / this.speedUp
        await this.waitFor(() => Date.now() >= until, link, false)
        this.z = 0
        return this.ok(link)
      }
      case 'G4': {
        const until = Date.now() + ((param('P') ?? 0) + (param('S') ?? 0) * 1000) / this.speedUp
        await this.waitFor(() => Date.now() >= until, link, false)
        return this.ok(link)
      }
      case 'G0':
      case 'G1':
        this.z = param('Z') ?? this.z
        return this.ok(link)
      case 'M112':
        link.send('Error:Printer halted. kill() called!\n')
        this.detach()
        return
      default:
        return this.ok(link)
    }
  }

  /** Blocks the queue as Marlin does, keeping the host patient with busy and temperature lines. */
  private async waitFor (done: () => boolean, link: VirtualLink, reportTemperatures: boolean): Promise<void> {
    this.breakWait = false
    const step = Math.max(5, BUSY_INTERVAL_MS / this.speedUp)
    for (let tick = 0; !done() && !this.breakWait && this.link === link; tick++) {
      await sleep(step)
      if (this.link !== link) return
      link.send(reportTemperatures ? `${this.temperatureReport()} W:?\n` : 'echo:busy: processing\n')
    }
  }

  private setTarget (heater: 'T' | 'B', celsius: number): void {
    (heater === 'T' ? this.hotend : this.bed).target = celsius
    this.heatLog?.write(`${Date.now()} ${heater} set ${celsius}\n`)
  }

  private heatReached (heater: 'T' | 'B'): void {
    const h = heater === 'T' ? this.hotend : this.bed
    if (h.reached()) this.heatLog?.write(`${Date.now()} ${heater} reached ${h.target}\n`)
  }

  private ok (link: VirtualLink, extra = ''): void {
    const free = Math.max(0, this.bufferSize - 1 - this.queue.length)
    link.send(`ok N${this.lastLine} P15 B${free}${extra}\n`)
  }

  private temperatureReport (): string {
    const t = this.hotend.temperature().toFixed(2)
    const b = this.bed.temperature().toFixed(2)
    return `T:${t} /${this.hotend.target.toFixed(2)} B:${b} /${this.bed.target.toFixed(2)} @:0 B@:0`
  }

  private startAutoReport (link: VirtualLink, seconds: number): void {
    this.stopAutoReport()
    if (seconds <= 0) return
    this.autoReport = setInterval(() => {
      if (this.link === link && Date.now() >= this.silentUntil) link.send(` ${this.temperatureReport()}\n`)
    }, seconds * 1000)
    this.autoReport.unref()
  }

  private stopAutoReport (): void {
    if (this.autoReport !== null) clearInterval(this.autoReport)
    this.autoReport = null
  }
}

/** A small seeded generator: the same seed gives the same faults. */
function mulberry32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
