import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { commandHelp, parseCommandLine, UsageError, type Command } from '../../src/cli/command.js'
import { COMMANDS } from '../../src/cli/commands.js'
import { meshnodeBin } from '../../src/paths.js'

const SUBMIT_LIKE: Command = {
  args: [{ name: '<files...>' }],
  flags: [
    { spec: '-D, --define <name=value>', help: 'a parameter', repeatable: true },
    { spec: '--pipeline <stages>', help: 'stages' },
    { spec: '--data-dir <dir>', help: 'data dir' },
    { spec: '--json', help: 'JSON' },
    { spec: '--from-line <n>', help: 'a line', required: false }
  ],
  run: async () => {}
}

/** Runs the built CLI as a user does; never throws on a non-zero exit. */
async function meshnode (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [meshnodeBin, ...args], { timeout: 30_000 })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

test('flags come out under their camel-case long names, repeatable ones in order, short forms too', () => {
  const { args, flags } = parseCommandLine(SUBMIT_LIKE, ['a.scad', '-D', 'w=1', '--define=h=2', '-Dd=3', '--data-dir', '/x', 'b.scad', '--json'])
  assert.deepEqual(args, ['a.scad', 'b.scad'])
  assert.deepEqual(flags.define, ['w=1', 'h=2', 'd=3'])
  assert.equal(flags.dataDir, '/x')
  assert.equal(flags.json, true)
  assert.equal(flags.pipeline, undefined)
})

test('after "--" a file name that starts with a dash is a file', () => {
  assert.deepEqual(parseCommandLine(SUBMIT_LIKE, ['--', '--help.scad', '-x']).args, ['--help.scad', '-x'])
})

test('a wrong command line is a UsageError that names the problem', () => {
  const wrong = (argv: string[], message: RegExp, command = SUBMIT_LIKE): void => {
    assert.throws(() => parseCommandLine(command, argv), (err: any) => err instanceof UsageError && message.test(err.message))
  }
  wrong([], /missing <files\.\.\.>/)
  wrong(['a', '--nope'], /unknown option "--nope"/)
  wrong(['a', '-z'], /unknown option "-z"/)
  wrong(['a', '--pipeline'], /--pipeline needs a value/)
  wrong(['a', '--pipeline', '--json'], /--pipeline needs a value/)
  wrong(['a', '--json=yes'], /--json takes no value/)
  wrong(['a', '-D'], /-D needs a value/)
  const job: Command = { args: [{ name: '<id>' }], flags: [{ spec: '--from-line <n>', help: '', required: true }], run: async () => {} }
  wrong(['id'], /--from-line <n> is required/, job)
  wrong(['id', 'extra', '--from-line', '3'], /unexpected argument "extra"/, job)
})

test('any command line either parses or is a UsageError, and never invents an argument', () => {
  const word = fc.oneof(fc.string(), fc.constantFrom('-D', '--define', '--json', '--json=1', '--pipeline', '--', '-', '--data-dir', '-Dx=1', '--nope', '-h'))
  fc.assert(fc.property(fc.array(word, { maxLength: 12 }), argv => {
    try {
      const { args, flags } = parseCommandLine(SUBMIT_LIKE, argv)
      for (const arg of args) assert.ok(argv.includes(arg))
      for (const value of (flags.define as string[] | undefined) ?? []) assert.ok(argv.some(a => a.endsWith(value)))
    } catch (err) {
      if (!(err instanceof UsageError)) throw err
    }
  }), { numRuns: 2000 })
})

test('every command answers --help with its usage and every flag, without a daemon', async () => {
  for (const entry of COMMANDS) {
    const run = await meshnode(...entry.name.split(' '), '--help')
    assert.equal(run.code, 0, `${entry.name} --help: ${run.stderr}`)
    assert.equal(run.stdout, commandHelp(entry.name, entry.summary, await entry.load()))
    assert.match(run.stdout, new RegExp(`^Usage: meshnode ${entry.name} \\[options\\]`))
    for (const flag of (await entry.load()).flags ?? []) assert.ok(run.stdout.includes(flag.spec), `${entry.name} --help lists ${flag.spec}`)
  }
})

test('meshnode --help lists every command; no command at all prints it as an error', async () => {
  const help = await meshnode('--help')
  assert.equal(help.code, 0)
  for (const entry of COMMANDS) assert.ok(help.stdout.includes(`  ${entry.name} `), `--help lists ${entry.name}`)
  const bare = await meshnode()
  assert.equal(bare.code, 1)
  assert.equal(bare.stdout, '')
  assert.equal(bare.stderr, help.stdout)
})

test('a typo gets one line on stderr, exit 1 and nothing on stdout', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['sumbit', 'a.scad'], /^meshnode: unknown command "sumbit" \(commands: start, status, peers, submit,/],
    [['submit', 'a.scad', '--pipline', 'scad'], /^meshnode submit: unknown option "--pipline" \(see "meshnode submit --help"\)\n$/],
    [['print', 'resume', 'job1'], /^meshnode print resume: --from-line <n> is required/],
    [['printer', 'explode', 'mk3'], /^meshnode printer: unknown command "explode"/],
    [['virtual-printer', '--baud', '7'], /^meshnode: --baud must be one of 9600, .*, not "7"\n$/]
  ]
  for (const [argv, message] of cases) {
    const run = await meshnode(...argv)
    assert.equal(run.code, 1, argv.join(' '))
    assert.equal(run.stdout, '', argv.join(' '))
    assert.match(run.stderr, message)
  }
})

test('--version prints the package version', async () => {
  const run = await meshnode('--version')
  assert.equal(run.code, 0)
  assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/)
})
