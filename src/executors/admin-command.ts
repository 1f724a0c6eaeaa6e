import { ConfigError } from '../config/config-error.js'
import { expectObject, join, optNumber, optString, optStringArray, rejectUnknown } from '../config/fields.js'
import { readLines } from './tool-lines.js'
import { deathBound } from './tool-process.js'

/**
 * A command an admin may run on this node by name (`meshnode admin run --to NODE NAME ARG...`): the node's config
 * fixes the program and its arguments; the admin's document fills only the `{1}`..`{9}` placeholders, each a
 * whole argument. No shell, ever.
 */
export interface CommandConfig {
  name: string
  command: string
  args: string[]
  timeoutSec: number
}

/** Names the node answers itself; a declared command cannot take them. */
export const BUILT_IN_COMMANDS = ['drain', 'undrain', 'restart'] as const
/** The operator commands for the node's own printers, answered by its print desk where it has printers. */
export const PRINTER_COMMANDS = ['printer-pause', 'printer-resume', 'printer-cancel', 'printer-clear', 'printer-load'] as const
const RESERVED: readonly string[] = [...BUILT_IN_COMMANDS, ...PRINTER_COMMANDS]
const FIELDS = ['name', 'command', 'args', 'timeoutSec'] as const
const NAME = /^[a-z][a-z0-9-]{0,39}$/
const PLACEHOLDER = /^\{([1-9])\}$/
export const MAX_ARG_LENGTH = 1024
const MAX_TIMEOUT_SEC = 24 * 3600
const KILL_GRACE_MS = 3000

export function parseCommandConfig (raw: unknown, field: string): CommandConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, FIELDS, field)
  const name = optString(obj, 'name', field, 40)
  if (name == null || !NAME.test(name) || RESERVED.includes(name)) {
    throw new ConfigError(join(field, 'name'), `must be lower-case letters, digits and "-", and not one of ${RESERVED.join(', ')}`)
  }
  const command = optString(obj, 'command', field)
  if (command == null) throw new ConfigError(join(field, 'command'), 'is required')
  if (command.includes('{')) throw new ConfigError(join(field, 'command'), 'is a fixed program; placeholders belong in args')
  const args = optStringArray(obj, 'args', field, 256) ?? []
  args.forEach((arg, i) => {
    if (/\{[^}]*\}/.test(arg) && !PLACEHOLDER.test(arg)) throw new ConfigError(`${join(field, 'args')}[${i}]`, `placeholders are {1} to {9}, each a whole argument on its own, not part of ${JSON.stringify(arg)}`)
  })
  const timeoutSec = optNumber(obj, 'timeoutSec', field, 1, MAX_TIMEOUT_SEC)
  if (timeoutSec == null) throw new ConfigError(join(field, 'timeoutSec'), 'is required')
  return { name, command, args, timeoutSec }
}

/** The argument array for the values an admin gave: exactly as many as the template's highest placeholder. */
export function commandArgs (command: CommandConfig, given: readonly string[]): string[] {
  const wanted = Math.max(0, ...command.args.map(a => Number(PLACEHOLDER.exec(a)?.[1] ?? 0)))
  if (given.length !== wanted) throw new Error(`${command.name} takes ${wanted} argument${wanted === 1 ? '' : 's'}, not ${given.length}`)
  const bad = given.find(a => a.length > MAX_ARG_LENGTH || a.includes('\0'))
  if (bad != null) throw new Error(`an argument of ${command.name} is over ${MAX_ARG_LENGTH} characters or holds a NUL`)
  return command.args.map(a => {
    const slot = PLACEHOLDER.exec(a)
    return slot == null ? a : given[Number(slot[1]) - 1]
  })
}

export interface CommandEnd {
  exitCode?: number
  timedOut: boolean
  /** Why it could not run or how it died, when it did not exit on its own. */
  error?: string
}

/**
 * Runs a declared command with the node's rights (an admin's command manages the node; it is not a job), each
 * output line passed on as it comes, killed with what it started at its timeout or when `signal` aborts.
 */
export async function runCommand (command: CommandConfig, given: readonly string[], onLine: (stream: 'stdout' | 'stderr', line: string) => void, signal: AbortSignal): Promise<CommandEnd> {
  const { execa } = await import('execa')
  const bound = await deathBound(command.command, commandArgs(command, given))
  const subprocess = execa(bound.file, bound.args, {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cancelSignal: signal,
    timeout: command.timeoutSec * 1000,
    forceKillAfterDelay: KILL_GRACE_MS,
    killDescendants: true
  })
  readLines(subprocess.stdout, line => { onLine('stdout', line) })
  readLines(subprocess.stderr, line => { onLine('stderr', line) })
  const result = await subprocess
  if (result.timedOut) return { timedOut: true, error: `killed after its timeout of ${command.timeoutSec} s` }
  if (result.isCanceled) return { timedOut: false, error: 'cancelled: the admin went away' }
  if (result.exitCode == null) return { timedOut: false, error: result.code === 'ENOENT' ? `${command.command} is not installed` : `ended by signal ${result.signal ?? 'unknown'}` }
  return { exitCode: result.exitCode, timedOut: false }
}
