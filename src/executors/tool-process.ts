import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { logger } from '@libp2p/logger'

const log = logger('meshnode:executors:tool')

/** Set in every native tool's environment, with a fresh value per run; its children inherit it. */
export const TOOL_MARK_VARIABLE = 'MESHNODE_TOOL_RUN'
/** util-linux's setpriv, at the places distributions put it; never looked up on a PATH. */
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv']

/**
 * A native tool as a restarted node can find it again: the process group it leads, when it started (clock
 * ticks after boot, from /proc/<pid>/stat) on which boot, and the mark in its environment. A pid alone could
 * by then be an unrelated process.
 */
export interface ToolStamp {
  pid: number
  start: string
  boot: string
  mark: string
}

let setpriv: Promise<string | undefined> | undefined

/**
 * The argv that runs `file` so the kernel kills it when the node dies, even by kill -9: setpriv sets the
 * parent-death signal and then execs the tool, which keeps the pid. The signal fires when the thread that
 * forked the tool exits; tools are spawned from the main thread, which lives as long as the node.
 * Without setpriv (or one too old for --pdeathsig) the tool runs as it is, and a restart ends what is left.
 */
export async function deathBound (file: string, args: string[]): Promise<{ file: string, args: string[] }> {
  setpriv ??= findSetpriv()
  const wrapper = await setpriv
  return wrapper == null ? { file, args } : { file: wrapper, args: ['--pdeathsig', 'KILL', '--', file, ...args] }
}

async function findSetpriv (): Promise<string | undefined> {
  const { execa } = await import('execa')
  for (const path of SETPRIV_PATHS) {
    const probe = await execa(path, ['--pdeathsig', 'KILL', '--', 'true'], { reject: false, stdin: 'ignore', timeout: 5000 })
    if (probe.exitCode === 0) return path
  }
  log('no setpriv with --pdeathsig: a tool outlives a node killed with -9 until the node starts again')
  return undefined
}

/**
 * A wrapper's own failure to start the tool: `setpriv: failed to execute slic3r: No such file or directory`,
 * `prlimit: failed to execute …`, or inside the sandbox `bwrap: execvp slic3r: No such file or directory`.
 */
export function isMissingProgram (exitCode: number | undefined, lines: readonly string[]): boolean {
  return (exitCode === 127 || exitCode === 1) && lines.some(line => /^(setpriv|prlimit): failed to execute .*No such file|^bwrap: execvp .*No such file/.test(line))
}

/**
 * The stamp of a tool just spawned, or undefined where there is no /proc (or it is gone already). Taken in the
 * same turn of the event loop as the spawn, so the node can record it before the tool has done anything.
 */
export function stampTool (pid: number, mark: string): ToolStamp | undefined {
  const stat = readStat(pid)
  const boot = bootId()
  return stat == null || boot == null ? undefined : { pid, start: stat.start, boot, mark }
}

/**
 * Kills what is left of tools a node started before it died: every process in a stamped tool's group that
 * started no earlier than the tool and carries its mark. A tool's helper processes survive the parent-death
 * signal of the tool itself; they go here. Returns the pids it killed.
 */
export async function endLeftoverTools (stamps: readonly ToolStamp[]): Promise<number[]> {
  const boot = bootId()
  const live = stamps.filter(stamp => stamp.boot === boot)
  if (live.length === 0) return []
  const killed: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const stat = readStat(pid)
    // A zombie is dead already; it only waits for its new parent to collect it.
    const stamp = stat == null || stat.state === 'Z' ? undefined : live.find(s => s.pid === stat.group && BigInt(stat.start) >= BigInt(s.start))
    if (stamp == null || !(await carriesMark(pid, stamp.mark))) continue
    try {
      process.kill(pid, 'SIGKILL')
      killed.push(pid)
    } catch {
      // It ended between the check and the kill.
    }
  }
  if (killed.length > 0) log('ended %d tool processes left from before the restart: %s', killed.length, killed.join(', '))
  return killed
}

/**
 * A /proc file, or undefined where it is not there. Read on the event loop: a /proc file never waits for a
 * disk, and reading one through the thread pool cost about 0.6 ms of CPU for every tool a node ran.
 */
function readProc (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

let boot: { id: string | undefined } | undefined

/** This boot's id: read once, it changes only with a reboot. */
function bootId (): string | undefined {
  boot ??= { id: readProc('/proc/sys/kernel/random/boot_id')?.trim() }
  return boot.id
}

/** State, process group and start time; the name in parentheses may hold spaces and parentheses itself. */
function readStat (pid: number): { state: string, group: number, start: string } | undefined {
  const text = readProc(`/proc/${pid}/stat`)
  if (text == null) return undefined
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // Fields from the third on: state, ppid, pgrp (5th) ... starttime (22nd).
  return { state: fields[0], group: Number(fields[2]), start: fields[19] }
}

async function carriesMark (pid: number, mark: string): Promise<boolean> {
  const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')
  return environ.split('\0').includes(`${TOOL_MARK_VARIABLE}=${mark}`)
}
