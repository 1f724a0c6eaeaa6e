import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandHelp, parseCommandLine, table, UsageError } from './command.js'
import { COMMANDS, type Entry } from './commands.js'
import { runAction } from './run-action.js'

function mainHelp (entries: Entry[]): string {
  return [
    'Usage: meshnode <command> [options]',
    '',
    'a peer-to-peer compute mesh for open hardware: render, slice and print across a workshop\'s machines',
    '',
    'Commands:',
    ...table(entries.map(e => [e.name, e.summary])),
    '',
    'Options:',
    ...table([['-V, --version', 'print the version'], ['-h, --help', 'show this help']]),
    '',
    'Run "meshnode <command> --help" for a command\'s options.'
  ].join('\n') + '\n'
}

/** The entry `argv` starts with (the longest name first: "admin config push", "printer clear"), and the words it took. */
function findEntry (argv: string[]): { entry: Entry, words: number } | undefined {
  const three = COMMANDS.find(e => e.name === argv.slice(0, 3).join(' '))
  if (three != null) return { entry: three, words: 3 }
  const two = COMMANDS.find(e => e.name === `${argv[0]} ${argv[1]}`)
  if (two != null) return { entry: two, words: 2 }
  const one = COMMANDS.find(e => e.name === argv[0])
  return one != null ? { entry: one, words: 1 } : undefined
}

async function main (argv: string[]): Promise<number> {
  const [first] = argv
  if (first === '-V' || first === '--version') {
    process.stdout.write(`${JSON.parse(readFileSync(join((await import('../paths.js')).packageRoot(), 'package.json'), 'utf8')).version}\n`)
    return 0
  }
  if (first == null || first === '-h' || first === '--help') {
    (first == null ? process.stderr : process.stdout).write(mainHelp(COMMANDS))
    return first == null ? 1 : 0
  }
  if (first === 'help') return main([...argv.slice(1), '--help'])
  const found = findEntry(argv)
  if (found == null) {
    const group = COMMANDS.filter(e => e.name.startsWith(`${first} `))
    if (group.length > 0) {
      const asked = argv[1] === '-h' || argv[1] === '--help'
      if (!asked) process.stderr.write(argv[1] == null ? `meshnode ${first}: which one?\n\n` : `meshnode ${first}: unknown command "${argv[1]}"\n\n`)
      ;(asked ? process.stdout : process.stderr).write(`Usage: meshnode ${first} <command> [options]\n\nCommands:\n${table(group.map(e => [e.name, e.summary])).join('\n')}\n`)
      return asked ? 0 : 1
    }
    process.stderr.write(`meshnode: unknown command "${first}" (commands: ${COMMANDS.map(e => e.name.split(' ')[0]).filter((n, i, all) => all.indexOf(n) === i).join(', ')}; see "meshnode --help")\n`)
    return 1
  }
  const { entry, words } = found
  const rest = argv.slice(words)
  const command = await entry.load()
  const end = rest.indexOf('--')
  if ((end < 0 ? rest : rest.slice(0, end)).some(a => a === '-h' || a === '--help')) {
    process.stdout.write(commandHelp(entry.name, entry.summary, command))
    return 0
  }
  let parsed
  try {
    parsed = parseCommandLine(command, rest)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`meshnode ${entry.name}: ${err.message} (see "meshnode ${entry.name} --help")\n`)
    return 1
  }
  return runAction(async () => command.run(parsed.args, parsed.flags))
}

process.exitCode = await main(process.argv.slice(2))
