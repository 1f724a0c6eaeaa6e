import { ConfigError } from './config-error.js'
import { expectObject, join, optBoolean, optNumber, optString, optStringArray, rejectUnknown } from './fields.js'

/**
 * A command this node offers as a pipeline stage of its own, e.g. an STL repair tool. The node's
 * config fixes the program and every argument; a job supplies only the input file.
 */
export interface ServiceConfig {
  /** The stage name peers ask for, e.g. `stl-repair`. */
  name: string
  command: string
  /** Arguments; `{input}` and `{output}` stand for whole arguments and become job file paths. */
  args: string[]
  /** Without the dot, e.g. `stl`. */
  outputExtension: string
  timeoutSec: number
  /** Without the dot; when set, other inputs are refused before the command runs. */
  inputExtensions?: string[]
}

/** Where the native tools are and which embedded engines may run. */
export interface ToolsConfig {
  /** A path or a command name looked up on PATH; `false` keeps the native tool out even if installed. */
  openscad: string | false
  prusaSlicer: string | false
  slic3r: string | false
  curaEngine: string | false
  embedded: { openscad: boolean, cura: boolean }
  /** Folders of extra slicer profiles (`<name>.json` plus its `.ini`), beside the bundled ones. */
  profileDirs: string[]
  /** False runs native tools with the node's own view of the machine: only for a node whose every job is trusted. */
  sandbox: boolean
}

export const PLACEHOLDERS = ['{input}', '{output}'] as const
const SERVICE_FIELDS = ['name', 'command', 'args', 'outputExtension', 'timeoutSec', 'inputExtensions'] as const
const TOOLS_FIELDS = ['openscad', 'prusaSlicer', 'slic3r', 'curaEngine', 'embedded', 'profileDirs', 'sandbox'] as const
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/
const EXTENSION = /^[a-z0-9]{1,10}$/
const RESERVED_STAGES = ['scad', 'slice', 'print']
const MAX_TIMEOUT_SEC = 7 * 24 * 3600

export function parseServiceConfig (raw: unknown, field: string): ServiceConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, SERVICE_FIELDS, field)
  const name = required(optString(obj, 'name', field, 40), field, 'name')
  if (!SERVICE_NAME.test(name) || RESERVED_STAGES.includes(name)) {
    throw new ConfigError(join(field, 'name'), `must be lower-case letters, digits and "-", and not one of ${RESERVED_STAGES.join(', ')}`)
  }
  const command = required(optString(obj, 'command', field), field, 'command')
  if (command.includes('{')) throw new ConfigError(join(field, 'command'), 'is a fixed program; placeholders belong in args')
  const args = optStringArray(obj, 'args', field) ?? []
  args.forEach((arg, i) => checkTemplateArg(arg, `${join(field, 'args')}[${i}]`))
  for (const placeholder of PLACEHOLDERS) {
    if (!args.includes(placeholder)) throw new ConfigError(join(field, 'args'), `must contain "${placeholder}" as one argument: the command reads the job's file and writes its result there`)
  }
  const outputExtension = extension(required(optString(obj, 'outputExtension', field, 11), field, 'outputExtension'), join(field, 'outputExtension'))
  const timeoutSec = required(optNumber(obj, 'timeoutSec', field, 1, MAX_TIMEOUT_SEC), field, 'timeoutSec')
  const inputExtensions = optStringArray(obj, 'inputExtensions', field, 32)?.map((e, i) => extension(e, `${join(field, 'inputExtensions')}[${i}]`))
  return { name, command, args, outputExtension, timeoutSec, ...(inputExtensions != null ? { inputExtensions } : {}) }
}

export function parseToolsConfig (raw: unknown, field: string): ToolsConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, TOOLS_FIELDS, field)
  const embedded = obj.embedded === undefined ? {} : expectObject(obj.embedded, join(field, 'embedded'))
  rejectUnknown(embedded, ['openscad', 'cura'], join(field, 'embedded'))
  return {
    openscad: toolPath(obj, 'openscad', field, 'openscad'),
    prusaSlicer: toolPath(obj, 'prusaSlicer', field, 'prusa-slicer'),
    slic3r: toolPath(obj, 'slic3r', field, 'slic3r'),
    curaEngine: toolPath(obj, 'curaEngine', field, 'CuraEngine'),
    embedded: {
      openscad: optBoolean(embedded, 'openscad', join(field, 'embedded')) ?? true,
      cura: optBoolean(embedded, 'cura', join(field, 'embedded')) ?? true
    },
    profileDirs: optStringArray(obj, 'profileDirs', field, 32) ?? [],
    sandbox: optBoolean(obj, 'sandbox', field) ?? true
  }
}

function toolPath (obj: Record<string, unknown>, key: string, field: string, fallback: string): string | false {
  if (obj[key] === false) return false
  return optString(obj, key, field) ?? fallback
}

/** A placeholder must be a whole argument, so a job's file name can never split into extra options. */
function checkTemplateArg (arg: string, field: string): void {
  const braces = arg.match(/\{[A-Za-z_][A-Za-z0-9_]*\}/g) ?? []
  for (const brace of braces) {
    if (!(PLACEHOLDERS as readonly string[]).includes(brace)) throw new ConfigError(field, `unknown placeholder ${brace} (only ${PLACEHOLDERS.join(' and ')})`)
  }
  if (braces.length > 0 && !(PLACEHOLDERS as readonly string[]).includes(arg)) {
    throw new ConfigError(field, `${braces[0]} must be a whole argument on its own, not part of ${JSON.stringify(arg)}`)
  }
}

function extension (value: string, field: string): string {
  const bare = value.startsWith('.') ? value.slice(1) : value
  if (!EXTENSION.test(bare)) throw new ConfigError(field, 'must be a file extension such as "stl" (lower-case letters and digits)')
  return bare
}

function required<T> (value: T | undefined, field: string, key: string): T {
  if (value === undefined) throw new ConfigError(join(field, key), 'is required')
  return value
}
