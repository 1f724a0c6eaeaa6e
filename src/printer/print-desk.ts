import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LevelCheckpointJournal } from './checkpoint-journal.js'
import { GcodePolicy } from './gcode-policy.js'
import { screenGcodeFile } from './gcode-screen.js'
import { PrinterController } from './printer-controller.js'
import { PrinterLoads } from './printer-loads.js'
import { printerRefusal, printRequirements, type PrintRequirements } from './printer-refusal.js'
import type { Printer } from '../../protocols/capability.js'
import type { StageSpec } from '../../protocols/market.js'
import type { Executor, StageResult, StageRun } from '../executors/executor.js'
import type { Refusal } from '../jobs/job.js'
import type { MeshDb } from '../store/open-db.js'
import type { PrintEnd, PrinterLoad, PrinterPower } from './printer-controller.js'
import type { PrinterConfig } from './printer-config.js'

export class PrintInterruptedError extends Error {
  constructor (printer: string, reason: string) {
    super(`print on ${printer} interrupted: ${reason}; resume it from a line with "meshnode print resume JOB --from-line N" on the printer's node`)
    this.name = 'PrintInterruptedError'
  }
}

/**
 * The printers of this node as the market sees them: which one could take a print now (or why none can), and
 * an Executor that streams a stage's G-code to the chosen printer.
 */
export class PrintDesk {
  readonly controllers: PrinterController[]
  /** Printer name -> the stage it is held for: see `reserve`. */
  private readonly reservations = new Map<string, { stage: string, jobId: string, until: number }>()
  private readonly self: string
  private readonly loads: PrinterLoads
  /** Each printer as its config file says, before any `load`. */
  private readonly configured: Map<string, PrinterConfig>
  private seq = 0

  /**
   * `self` is this node's peer id: its own prints are its operator's, and skip the G-code policy. `power`, when the
   * node's printers share a power group, makes each print wait for a slot before it heats.
   */
  constructor (db: MeshDb, dataDir: string, printers: PrinterConfig[], onChange: () => void, self: string, power?: PrinterPower) {
    this.self = self
    this.loads = new PrinterLoads(db)
    this.configured = new Map(printers.map(p => [p.name, p]))
    const journal = new LevelCheckpointJournal(db.sublevel<string, any>('printer', { valueEncoding: 'json' }))
    this.controllers = printers.map(config => {
      const withRecord = config.port === 'virtual' && config.virtual != null && config.virtual.recordFile == null
        ? { ...config, virtual: { ...config.virtual, recordFile: join(dataDir, `${config.name}.record.gcode`) } }
        : config
      const controller = new PrinterController({ config: withRecord, journal, power })
      controller.on('printer:state', onChange)
      controller.on('printer:loaded', onChange)
      // Free for the next print as soon as it says so: prints waiting for it ask again when its state changes.
      controller.on('printer:print-end', () => { this.reservations.delete(config.name) })
      return controller
    })
  }

  async start (): Promise<void> {
    for (const controller of this.controllers) {
      const kept = await this.loads.read(this.configuredOf(controller))
      if (kept !== undefined) controller.load(kept)
    }
    await Promise.all(this.controllers.map(async c => c.start()))
  }

  /** An operator loaded a filament or fitted a nozzle: kept for restarts, and advertised at once. */
  async load (controller: PrinterController, load: PrinterLoad): Promise<void> {
    await this.loads.write(this.configuredOf(controller), load)
    controller.load(load)
  }

  async stop (): Promise<void> {
    await Promise.all(this.controllers.map(async c => c.stop()))
  }

  get (name: string): PrinterController | undefined {
    return this.controllers.find(c => c.config.name === name)
  }

  /**
   * Null when some printer here can take the print now; otherwise why not. A printer that matches but is busy,
   * offline, holds a part or is reserved for another stage refuses for now: the stage waits for it. When none
   * matches, the reason names every printer's make-up that does not fit (material, nozzle, build volume):
   * clearing a bed would not make it take the job.
   */
  refusal (spec: StageSpec): Refusal | null {
    const candidates = this.candidates(spec)
    if (candidates.length === 0) return { reason: spec.printer !== '' ? `has no printer named ${spec.printer}` : 'has no printer' }
    if (candidates.some(c => this.available(c, spec))) return null
    const matching = candidates.find(c => printerRefusal(c.config, needs(spec)) == null)
    if (matching != null) return { reason: matching.refusal(needs(spec)) ?? this.reservedRefusal(matching), busy: true }
    if (candidates.length === 1) return { reason: printerRefusal(candidates[0].config, needs(spec)) as string }
    return { reason: candidates.map(c => `${c.config.name}: ${printerRefusal(c.config, needs(spec)) as string}`).join('; ') }
  }

  /**
   * Holds a printer for the stage until `release`, or until `until` (ms since the epoch): from its bid for the bid
   * window, from its award until it ends. Two prints bid for or awarded to one printer at once were both taken,
   * and the second failed at the printer. Asked again for a stage that holds one, it keeps it, for the longer of
   * the two terms; null once held.
   */
  reserve (spec: StageSpec, until = Infinity): Refusal | null {
    const held = this.held(spec) ?? this.candidates(spec).find(c => this.available(c, spec))
    if (held == null) return this.refusal(spec) ?? { reason: 'has no printer for this print', busy: true }
    const kept = this.reservations.get(held.config.name)
    const longest = kept?.stage === stageKey(spec) ? Math.max(kept.until, until) : until
    this.reservations.set(held.config.name, { stage: stageKey(spec), jobId: spec.jobId, until: longest })
    return null
  }

  /** Lets go of the printer the stage holds, if any. */
  release (spec: Pick<StageSpec, 'jobId' | 'index'>): void {
    const key = stageKey(spec)
    for (const [name, reservation] of this.reservations) if (reservation.stage === key) this.reservations.delete(name)
  }

  /** The printer the stage holds, or else one that could take it now. */
  executorFor (spec: StageSpec): Executor | undefined {
    const controller = this.held(spec) ?? this.candidates(spec).find(c => this.available(c, spec))
    if (controller == null) return undefined
    return printExecutor(controller, spec.jobId, spec.requester === this.self ? null : new GcodePolicy(controller.config.gcodePolicy))
  }

  records (): Printer[] {
    return this.controllers.map(c => {
      const s = c.status()
      return {
        name: s.name,
        state: s.state,
        material: s.material,
        nozzleMm: s.nozzleMm,
        bedXMm: s.bed.x,
        bedYMm: s.bed.y,
        bedZMm: s.bed.z,
        currentJob: s.currentJob ?? '',
        progress: s.progress ?? 0,
        hotendC: s.temperatures.T?.actual ?? 0,
        bedC: s.temperatures.B?.actual ?? 0,
        stateSeq: this.stamp()
      }
    })
  }

  /**
   * Orders every snapshot of these printers, whether it goes out as an event or in the capability record.
   * Seeded from the clock, so the seqs of a restarted node carry on above those of its last run.
   */
  private stamp (): number {
    this.seq = Math.max(this.seq + 1, Date.now())
    return this.seq
  }

  private configuredOf (controller: PrinterController): PrinterConfig {
    return this.configured.get(controller.config.name) ?? controller.config
  }

  private candidates (spec: StageSpec): PrinterController[] {
    return this.controllers.filter(c => spec.printer === '' || c.config.name === spec.printer)
  }

  private held (spec: StageSpec): PrinterController | undefined {
    const key = stageKey(spec)
    return this.candidates(spec).find(c => this.reservations.get(c.config.name)?.stage === key)
  }

  /** Ready for the print, and held for no other stage. */
  private available (controller: PrinterController, spec: StageSpec): boolean {
    if (controller.refusal(needs(spec)) != null) return false
    const reservation = this.reservations.get(controller.config.name)
    return reservation == null || reservation.stage === stageKey(spec) || reservation.until < Date.now()
  }

  private reservedRefusal (controller: PrinterController): string {
    return `printer ${controller.config.name} is reserved for job ${this.reservations.get(controller.config.name)?.jobId ?? '?'}`
  }
}

function stageKey (spec: Pick<StageSpec, 'jobId' | 'index'>): string {
  return `${spec.jobId}:${spec.index}`
}

function needs (spec: StageSpec): PrintRequirements {
  return printRequirements(spec.material, spec.input?.gcode)
}

/**
 * The print stage: screen the G-code against `policy` (null: a print of this node's own), stream it, and
 * report how the print went as the stage's output.
 */
function printExecutor (controller: PrinterController, jobId: string, policy: GcodePolicy | null): Executor {
  const name = controller.config.name
  return {
    tool: { stage: 'print', name: `printer ${name}`, version: controller.config.port === 'virtual' ? 'virtual' : controller.config.port, embedded: controller.config.port === 'virtual' },
    async run (run: StageRun): Promise<StageResult> {
      const onProgress = (job: string, progress: { bytesAcked: number, bytesTotal: number }): void => {
        if (job === jobId && progress.bytesTotal > 0) run.onProgress(100 * progress.bytesAcked / progress.bytesTotal)
      }
      const onAbort = (): void => { try { controller.cancel() } catch {} }
      controller.on('printer:progress', onProgress)
      run.signal.addEventListener('abort', onAbort)
      let end: PrintEnd
      try {
        if (policy != null) await screenGcodeFile(run.input.path, policy, name)
        end = await controller.print(jobId, run.input.path)
      } finally {
        controller.off('printer:progress', onProgress)
        run.signal.removeEventListener('abort', onAbort)
      }
      if (end.status === 'interrupted') throw new PrintInterruptedError(name, end.reason ?? 'the printer stopped answering')
      if (end.status === 'cancelled') throw new Error(`print on ${name} cancelled`)
      const report = {
        printer: name,
        job: jobId,
        linesAcked: end.progress?.linesAcked,
        bytesAcked: end.progress?.bytesAcked,
        layers: end.progress?.layer,
        elapsedMs: end.progress?.elapsedMs,
        recordFile: controller.config.virtual?.recordFile
      }
      run.onLog(`printed ${report.linesAcked ?? 0} lines on ${name} in ${((report.elapsedMs ?? 0) / 1000).toFixed(1)} s`)
      const outputPath = join(run.workDir, 'print-report.json')
      await writeFile(outputPath, JSON.stringify(report, null, 2) + '\n')
      return { outputPath, outputName: 'print-report.json', command: ['print', name] }
    }
  }
}
