import { stat } from 'node:fs/promises'
import { constants } from 'node:os'
import { ToolLimitError } from './errors.js'
import type { ToolLimits } from '../config/node-config.js'

/** util-linux's prlimit, at the places distributions put it; never looked up on a PATH. */
export const PRLIMIT_PATHS = ['/usr/bin/prlimit', '/bin/prlimit']

const MIB = 1024 * 1024
// What glibc and the C++ runtime print when an allocation fails under the limit.
const OUT_OF_MEMORY = /bad_alloc|out of memory|cannot allocate memory|memory exhausted|failed to allocate|allocation failed/i
const FILE_TOO_LARGE = /file too large/i

/**
 * The prlimit arguments (before `--`) for these limits. RLIMIT_DATA rather than RLIMIT_AS: it counts the
 * memory a tool writes to, not the address space it reserves, so a slicer's per-thread malloc arenas and a
 * runtime's reserved ranges do not count against it, while a runaway `$fn` does.
 */
export function prlimitArgs (limits: ToolLimits): string[] {
  const args = [`--data=${limits.memoryMiB * MIB}`, `--fsize=${limits.outputMiB * MIB}`]
  // SIGXCPU at the limit, which names it; SIGKILL a second later for a tool that ignores it.
  if (limits.cpuSec != null) args.push(`--cpu=${limits.cpuSec}:${limits.cpuSec + 1}`)
  return args
}

/**
 * The limit a failed run ran into, told by the signal the kernel sends (SIGXCPU, SIGXFSZ) or by the tool's
 * own words on a failed allocation; undefined for any other failure. A signal comes as itself from a tool
 * run directly and as 128 + its number from bwrap, which exits with the status of the tool it ran.
 */
export function limitBreached (tool: string, limits: ToolLimits, exit: { exitCode?: number, signal?: string }, lines: readonly string[]): ToolLimitError | undefined {
  const signal = exit.signal ?? signalOfStatus(exit.exitCode)
  if (signal === 'SIGXCPU' && limits.cpuSec != null) {
    return new ToolLimitError(tool, `used more than its ${limits.cpuSec} s CPU time limit (market.toolCpuSec)`)
  }
  if (signal === 'SIGXFSZ' || lines.some(line => FILE_TOO_LARGE.test(line))) return outputLimitError(tool, limits)
  if (lines.some(line => OUT_OF_MEMORY.test(line))) {
    return new ToolLimitError(tool, `used more than its ${limits.memoryMiB} MiB memory limit (market.toolMemoryMiB)`)
  }
  return undefined
}

/**
 * Refuses an output that reached the file size limit. A tool that ignores SIGXFSZ (OpenSCAD does) gets a
 * short write instead, and may not check it: its output then ends at the limit, cut, with exit code 0.
 */
export async function checkOutputSize (tool: string, limits: ToolLimits, path: string): Promise<void> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0
  if (size >= limits.outputMiB * MIB) throw outputLimitError(tool, limits)
}

function outputLimitError (tool: string, limits: ToolLimits): ToolLimitError {
  return new ToolLimitError(tool, `wrote a file larger than its ${limits.outputMiB} MiB output limit (market.maxOutputMiB)`)
}

function signalOfStatus (exitCode: number | undefined): string | undefined {
  if (exitCode == null || exitCode <= 128) return undefined
  const { SIGXCPU, SIGXFSZ } = constants.signals
  return exitCode - 128 === SIGXCPU ? 'SIGXCPU' : exitCode - 128 === SIGXFSZ ? 'SIGXFSZ' : undefined
}
