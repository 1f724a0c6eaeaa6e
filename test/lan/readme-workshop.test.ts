import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'shell-quote'
import { packageRoot } from '../../src/paths.js'
import { createLan, waitFor } from './harness.js'
import type { CliResult, LanProcess } from './harness.js'
import type { JobRecord } from '../../src/jobs/job.js'

/**
 * The README's "A real workshop mesh", run as written on a namespace LAN: every command is taken from the
 * README's code blocks and run through `npx` from the checkout, as the README says. The only changes are
 * the two it allows for machines that share one file system here: each machine's `--data-dir`, and the
 * virtual printer's PTY path. The `/dev/ttyUSB0` line needs real hardware and is not run.
 */
const SECTION = '## A real workshop mesh'
const READY_TIMEOUT_MS = 60_000
const PIPELINE_TIMEOUT_MS = 240_000
const NPX_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 10_000

interface ReadmeCommand { argv: string[], line: string }

/** Each `npx meshnode ...` of the section's code blocks (indented lines), split at `;`, comments dropped. */
function workshopCommands (): ReadmeCommand[] {
  const text = readFileSync(join(packageRoot(), 'README.md'), 'utf8')
  const start = text.indexOf(SECTION)
  assert.ok(start >= 0, `README.md has a section "${SECTION}"`)
  const end = text.indexOf('\n## ', start + SECTION.length)
  const commands: ReadmeCommand[] = []
  for (const line of text.slice(start, end < 0 ? undefined : end).split('\n')) {
    if (!/^ {4,}npx meshnode /.test(line)) continue
    let argv: string[] = []
    let runnable = true
    for (const token of parse(line.trim())) {
      if (typeof token === 'string') argv.push(token)
      else if ('comment' in token) break
      else if ('op' in token && token.op === ';') { if (runnable) commands.push({ argv, line }); argv = []; runnable = true }
      else runnable = false
    }
    if (runnable && argv.length > 0) commands.push({ argv, line })
  }
  return commands
}

function one (commands: ReadmeCommand[], what: string, match: (c: ReadmeCommand) => boolean): ReadmeCommand {
  const found = commands.filter(match)
  assert.ok(found.length >= 1, `the README's workshop steps have ${what}`)
  return found[0]
}

/** `npx ...` from the checkout, with the Node this test runs on first on PATH (what `npm ci` gives a shell). */
function npx (argv: string[]): string[] {
  return ['env', '-C', packageRoot(), `PATH=${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...argv]
}

/** Every process below `pid` (npx runs meshnode under npm and a shell, and does not pass SIGTERM down). */
function descendants (pid: number): number[] {
  const parent = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch { /* it exited while we looked */ }
  }
  const found: number[] = []
  let frontier = [pid]
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    frontier = [...parent].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child)
    found.push(...frontier)
  }
  return found
}

/** SIGTERM to each daemon below the npx processes (by pid), then SIGKILL to what is left after 10 s. */
async function stopTrees (roots: LanProcess[]): Promise<void> {
  const pids = roots.filter(p => p.exitStatus === undefined).flatMap(p => descendants(p.pid))
  const signal = (sig: NodeJS.Signals): void => { for (const pid of pids) { try { process.kill(pid, sig) } catch { /* gone */ } } }
  signal('SIGTERM')
  await waitFor(() => pids.every(pid => !existsSync(`/proc/${pid}`)), { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 100, what: 'the daemons to stop' }).catch(() => { signal('SIGKILL') })
}

test('the README\'s workshop steps run as written: start, invite, join, start the others, a virtual printer on a PTY, submit', { timeout: 420_000 }, async (t) => {
  const commands = workshopCommands()
  const sub = (c: ReadmeCommand): string | undefined => c.argv[2]
  const virtualPrinter = one(commands, 'a virtual printer on a PTY', c => sub(c) === 'virtual-printer' && c.argv.includes('--pty'))
  const readmePty = virtualPrinter.argv[virtualPrinter.argv.indexOf('--pty') + 1]
  const printerStart = one(commands, `a start with the printer on ${readmePty}`, c => sub(c) === 'start' && c.argv.some(a => a.includes(`=${readmePty}`)))
  const plainStarts = commands.filter(c => sub(c) === 'start' && !c.argv.includes('--printer'))
  assert.ok(plainStarts.length >= 2, 'a first machine and at least one that joins it')
  const invite = one(commands, 'an invite', c => sub(c) === 'invite')
  const joinCommand = one(commands, 'a join with the printed code', c => sub(c) === 'join' && c.argv.includes('CODE'))
  const submit = one(commands, 'a submit through scad, slice and print', c => sub(c) === 'submit' && c.line.includes('scad,slice,print'))
  assert.ok(commands.indexOf(plainStarts[0]) < commands.indexOf(invite), 'the first machine starts before it invites')

  const daemons: LanProcess[] = []
  t.after(async () => { await stopTrees(daemons) })
  const lan = await createLan(t, { size: plainStarts.length + 1 })
  const printerPi = plainStarts.length
  const names = [...plainStarts.map((_, i) => i === 0 ? 'first' : `joined-${i}`), 'printer-pi']
  const dataDir = (i: number): string => join(lan.dir, names[i], 'data')
  const pty = join(lan.dir, 'mk3')
  // The two substitutions: the peer's data dir (the virtual printer has none), and the PTY's path.
  const asRun = (i: number, argv: string[]): string[] => npx([
    ...argv.map(a => a === readmePty ? pty : a.replace(`=${readmePty}`, `=${pty}`)),
    ...(argv[2] === 'virtual-printer' ? [] : ['--data-dir', dataDir(i)])
  ])
  const spawn = (i: number, label: string, argv: string[]): LanProcess => {
    const proc = lan.spawn(i, `${names[i]}-${label}-${daemons.length}`, asRun(i, argv))
    daemons.push(proc)
    return proc
  }
  // A command that ends, run like a daemon: killing npx on a timeout would leave meshnode holding its pipes.
  const run = async (i: number, argv: string[], timeoutMs = NPX_TIMEOUT_MS): Promise<CliResult> => {
    const proc = spawn(i, argv[2], argv)
    const status = await Promise.race([proc.exited, sleep(timeoutMs, undefined, { ref: false })])
    if (status === undefined) {
      await stopTrees([proc])
      throw new Error(`${argv.join(' ')} on ${names[i]} did not end within ${timeoutMs / 1000} s:\n${lan.logTails(30)}`)
    }
    const output = (path: string): string => readFileSync(path, 'utf8').split('\n').slice(1).join('\n')
    return { ...status, stdout: output(proc.stdoutPath), stderr: output(proc.stderrPath) }
  }
  const direct = async (i: number, args: string[]): Promise<CliResult> => lan.cli(i, [...args, '--data-dir', dataDir(i)])
  const ready = async (i: number, proc: LanProcess): Promise<string> => waitFor(async () => {
    if (proc.exitStatus !== undefined) throw new Error(`${proc.name} exited (code ${proc.exitStatus.code}):\n${lan.logTails(20)}`)
    const status = await direct(i, ['status', '--json'])
    return status.code === 0 ? (JSON.parse(status.stdout) as { peerId: string }).peerId : undefined
  }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 250, what: `${proc.name} to answer status`, failFast: err => /exited/.test(String(err)) })

  const firstStart = spawn(0, 'start', plainStarts[0].argv)
  const peerIds = [await ready(0, firstStart)]
  assert.match(readFileSync(firstStart.stdoutPath, 'utf8'), /made a new private mesh[\s\S]*npx meshnode invite/, 'the first start says how to add machines')

  for (let i = 1; i <= printerPi; i++) {
    const invited = await run(0, invite.argv)
    assert.equal(invited.code, 0, `invite: ${invited.stderr}`)
    const printed = /^\s*(npx meshnode join \S+)\s*$/m.exec(invited.stdout)?.[1]
    assert.ok(printed != null, `invite prints the line to run:\n${invited.stdout}`)
    assert.deepEqual(printed.split(' ').slice(0, -1), joinCommand.argv.slice(0, -1), 'the printed line is the README\'s, with the code for CODE')
    const joined = await run(i, printed.split(' '))
    assert.equal(joined.code, 0, `join on ${names[i]}: ${joined.stderr}`)
  }
  for (let i = 1; i < printerPi; i++) peerIds.push(await ready(i, spawn(i, 'start', plainStarts[i].argv)))
  const printer = spawn(printerPi, 'virtual-printer', virtualPrinter.argv)
  await waitFor(() => existsSync(pty) || printer.exitStatus !== undefined, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100, what: 'the virtual printer\'s PTY' })
  assert.equal(printer.exitStatus, undefined, `the virtual printer runs:\n${lan.logTails(10)}`)
  peerIds.push(await ready(printerPi, spawn(printerPi, 'start', printerStart.argv)))

  await waitFor(async () => {
    for (let i = 0; i <= printerPi; i++) {
      const listed = (JSON.parse((await direct(i, ['peers', '--json'])).stdout) as Array<{ peerId: string }>).map(p => p.peerId)
      if (peerIds.some(id => id !== peerIds[i] && !listed.includes(id))) return false
    }
    return true
  }, { timeoutMs: 30_000, intervalMs: 500, what: 'every machine to list every other over mDNS' })

  // Submitted on the laptop that only submits: a keyed mesh's printer takes prints from every member.
  const laptop = plainStarts.findIndex(c => c.argv.includes('none'))
  assert.ok(laptop > 0, 'a laptop that joined and only submits')
  const submitted = await run(laptop, submit.argv, PIPELINE_TIMEOUT_MS)
  assert.equal(submitted.code, 0, `submit: ${submitted.stderr}\n${submitted.stdout.slice(-2000)}`)
  const [job] = JSON.parse((await direct(laptop, ['jobs', '--all', '--json'])).stdout) as JobRecord[]
  assert.equal(job.state, 'done')
  assert.deepEqual(job.stages.map(s => [s.kind, s.state]), [['scad', 'done'], ['slice', 'done'], ['print', 'done']])
  assert.equal(job.stages[2].peerId, peerIds[printerPi], 'the virtual printer on the printer Pi printed it')
  assert.ok(job.stages.slice(0, 2).every(s => s.peerId !== peerIds[printerPi]), 'the machines that joined rendered and sliced it')
})
