import { runBriefly } from '../executors/brief-run.js'
import { findExecutable, type ProbeCache } from './probe-cache.js'

/** How a native tool tells its version. */
export interface Probe {
  args: string[]
  version: RegExp
}

export const PROBES = {
  openscad: { args: ['--version'], version: /OpenSCAD version (\S+)/ },
  prusaSlicer: { args: ['--help'], version: /PrusaSlicer-(\S+)/ },
  slic3r: { args: ['--version'], version: /^(\d+\.\d+\S*)/m },
  curaEngine: { args: ['help'], version: /(?:Cura_SteamEngine|CuraEngine) version (\S+)/ }
} satisfies Record<string, Probe>

/**
 * One try at a native tool. `missing` and `unusable` are clear answers; `failed` is one that may pass on
 * another try: a timeout or a kill on a loaded machine, a fork that could not get memory.
 */
export type ProbeOutcome =
  | { state: 'found', binary: string, version: string }
  | { state: 'missing' | 'unusable' | 'failed', reason: string }

export async function probeTool (command: string, { args, version }: Probe, cache: ProbeCache, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  const binary = await findExecutable(command)
  if (binary == null) return { state: 'missing', reason: command.includes('/') ? `no executable at ${command}` : `no "${command}" on PATH` }
  const known = await cache.lookup(binary)
  if (known != null) return { state: 'found', binary, version: known }
  if (known === null) return { state: 'unusable', reason: `${binary} gave no version (remembered until the binary changes)` }
  const result = await runBriefly(binary, args, { timeoutMs, signal, env: { ...process.env, DISPLAY: '' } })
  const match = version.exec(result.output)
  if (match != null) {
    await cache.remember(binary, match[1])
    return { state: 'found', binary, version: match[1] }
  }
  if (result.timedOut) return { state: 'failed', reason: `${binary} ${args.join(' ')} did not answer within ${seconds(timeoutMs)}` }
  if (result.signal != null) return { state: 'failed', reason: `${binary} ${args.join(' ')} was killed by ${result.signal}` }
  if (result.error != null) return { state: 'failed', reason: `${binary} could not start: ${result.error.message}` }
  // A tool that ran and gave no version would give none again: only a clear answer is remembered.
  await cache.remember(binary, null)
  return { state: 'unusable', reason: `${binary} ${args.join(' ')} gave no version (exit code ${String(result.code)})` }
}

function seconds (ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`
}
