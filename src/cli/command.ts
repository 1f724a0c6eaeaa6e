import { parseArgs, type ParseArgsOptionDescriptor } from 'node:util'

/**
 * One flag of a command, written as its help shows it: `-o, --output <file>` takes a value, `--json` does
 * not. Its value is found under the long name in camel case (`--data-dir` is `dataDir`).
 */
export interface Flag {
  spec: string
  help: string
  /** Given more than once, every value is kept, in order. */
  repeatable?: boolean
  required?: boolean
}

/** What a command takes and does. Its name and one-line summary live in the command table (main.ts). */
export interface Command {
  /** Positional arguments as help shows them: `<id>`, `[file]`, `<files...>`. */
  args?: Array<{ name: string, help?: string }>
  flags?: Flag[]
  /** Printed after the flags in `--help`. */
  epilog?: string
  /** Words that start with one "-" are arguments, not flags (`library tag ID -old`); flags are only long ones. */
  dashArgs?: boolean
  /** `flags` holds the values `parseCommandLine` found, typed by each command for itself. */
  run: (args: string[], flags: any) => Promise<number | void>
}

export type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>

/** A command line that does not fit its command; the message says what is wrong. */
export class UsageError extends Error {
  override name = 'UsageError'
}

interface ParsedFlag extends Flag {
  long: string
  short?: string
  key: string
  takesValue: boolean
}

const SPEC = /^(?:-([a-zA-Z]), )?--([a-z][a-z0-9-]*)(?: <[^>]+>)?$/

function parseFlag (flag: Flag): ParsedFlag {
  const match = SPEC.exec(flag.spec)
  if (match == null) throw new Error(`bad flag spec "${flag.spec}"`)
  const [, short, long] = match
  return { ...flag, long, short, key: long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), takesValue: flag.spec.endsWith('>') }
}

/** Splits `argv` (what follows the command's name) into positional arguments and flag values. */
export function parseCommandLine (command: Command, argv: string[]): { args: string[], flags: FlagValues } {
  const flags = (command.flags ?? []).map(parseFlag)
  const options: Record<string, ParseArgsOptionDescriptor> = {}
  for (const flag of flags) {
    options[flag.long] = { type: flag.takesValue ? 'string' : 'boolean', multiple: flag.repeatable === true, ...(flag.short != null ? { short: flag.short } : {}) }
  }
  let parsed
  try {
    parsed = parseArgs({ args: command.dashArgs === true ? dashArgsLast(argv, flags) : argv, options, allowPositionals: true, strict: true })
  } catch (err: any) {
    throw new UsageError(usageMessage(err))
  }
  const values: FlagValues = {}
  for (const flag of flags) {
    const value = parsed.values[flag.long]
    if (flag.required === true && value == null) throw new UsageError(`${flag.spec} is required`)
    values[flag.key] = value
  }
  checkArgCount(command, parsed.positionals)
  return { args: parsed.positionals, flags: values }
}

/** The long flags (with their values) first, then "--" and the rest as arguments, "-word" ones included. */
function dashArgsLast (argv: string[], flags: ParsedFlag[]): string[] {
  const named: string[] = []
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') {
      args.push(...argv.slice(i + 1))
      break
    }
    if (!word.startsWith('--')) {
      args.push(word)
      continue
    }
    named.push(word)
    if (!word.includes('=') && flags.find(f => `--${f.long}` === word)?.takesValue === true && i + 1 < argv.length) named.push(argv[++i])
  }
  return [...named, '--', ...args]
}

/** parseArgs' error in the CLI's words: it quotes the flag as the user wrote it. */
function usageMessage (err: { code?: string, message: string }): string {
  const flag = /'(-[^', ]+)/.exec(err.message)?.[1] ?? ''
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option "${flag}"`
  if (err.message.includes('does not take an argument')) return `${flag} takes no value`
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${flag} needs a value${flag.startsWith('--') ? ` (for one that starts with "-", write ${flag}=VALUE)` : ''}`
  return err.message.split('\n')[0]
}

function checkArgCount (command: Command, positionals: string[]): void {
  const args = command.args ?? []
  const required = args.filter(a => a.name.startsWith('<'))
  const variadic = args.some(a => a.name.endsWith('...>') || a.name.endsWith('...]'))
  if (positionals.length < required.length) throw new UsageError(`missing ${required.slice(positionals.length).map(a => a.name).join(' ')}`)
  if (!variadic && positionals.length > args.length) throw new UsageError(`unexpected argument "${positionals[args.length]}"`)
}

/** `--help` of one command. */
export function commandHelp (name: string, summary: string, command: Command): string {
  const args = command.args ?? []
  const flags = [...(command.flags ?? []), { spec: '-h, --help', help: 'show this help' }]
  const lines = [`Usage: meshnode ${name} [options]${args.map(a => ` ${a.name}`).join('')}`, '', summary]
  const described = args.filter(a => a.help != null)
  if (described.length > 0) lines.push('', 'Arguments:', ...table(described.map(a => [a.name, a.help ?? ''])))
  lines.push('', 'Options:', ...table(flags.map(f => [f.spec, f.help + (f.required === true ? ' (required)' : '')])))
  if (command.epilog != null) lines.push('', command.epilog)
  return lines.join('\n') + '\n'
}

/** Two columns, the second wrapped under itself at 100 characters. */
export function table (rows: string[][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${wrap(right, 100 - width - 2).join(`\n${' '.repeat(width + 2)}`)}`)
}

function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  return [...lines, line]
}
