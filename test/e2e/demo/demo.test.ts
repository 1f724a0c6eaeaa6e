import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { meshnodeBin } from '../../../src/paths.js'
import { waitFor } from '../../lan/harness.js'
import { assertRecordHolds, gcodeCommands, readRecord } from '../print/printer-record.js'
import type { ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'

/** The whole demo renders, slices and prints a bracket; generous for a loaded 2-core machine, but bounded. */
const DEMO_TIMEOUT_MS = 180_000
const STOP_TIMEOUT_MS = 30_000

interface Demo {
  child: ChildProcess
  dir: string
  output: () => string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** `meshnode demo --dir DIR` as a user runs it (stdout not a TTY); killed by its pid if it outlives the bound. */
function startDemo (t: TestContext, flags: string[] = []): Demo {
  const dir = mkdtempSync(join(tmpdir(), 'meshnode-e2e-demo-'))
  const child = spawn(process.execPath, [meshnodeBin, 'demo', '--dir', dir, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  const bound = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS)
  void exited.then(() => clearTimeout(bound))
  t.after(async () => {
    if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
    // Whatever peers a failed test left behind go too, by their pids (never by name), before the dir.
    for (const peer of peersOf(dir)) killQuietly(peer.pid)
    rmSync(dir, { recursive: true, force: true })
    if ((t as { readonly passed?: boolean }).passed === false) process.stderr.write(`\n${t.name} failed; the demo printed:\n${output}\n`)
  })
  return { child, dir, output: () => output, exited }
}

interface PeerProcess {
  pid: number
  argv: string[]
}

/** Every `meshnode start` process whose command line names a path inside `dir`: the demo's peers. */
function peersOf (dir: string): PeerProcess[] {
  const found: PeerProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(a => a !== '')
    } catch {
      continue // it ended while we looked
    }
    if (argv.includes('start') && argv.some(a => a.startsWith(dir + '/'))) found.push({ pid: Number(entry), argv })
  }
  return found
}

function killQuietly (pid: number): void {
  try { process.kill(pid, 'SIGKILL') } catch {}
}

/** Waits for the demo to exit, bounded; the exit status. */
async function exitOf (demo: Demo, timeoutMs: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`the demo did not exit within ${timeoutMs} ms:\n${demo.output()}`)), timeoutMs) })
  try {
    return await Promise.race([demo.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

async function assertAllPeersGone (demo: Demo, seen: PeerProcess[]): Promise<void> {
  await waitFor(() => peersOf(demo.dir).length === 0, {
    timeoutMs: STOP_TIMEOUT_MS,
    what: `every peer of the demo to be gone (seen: ${seen.map(p => p.pid).join(', ')})`
  }).catch((err: Error) => {
    throw new Error(`${err.message}; still running: ${peersOf(demo.dir).map(p => `${p.pid} ${p.argv.join(' ')}`).join('; ')}`)
  })
  for (const peer of seen) assert.ok(!existsSync(`/proc/${peer.pid}/cmdline`) || !readFileSync(`/proc/${peer.pid}/cmdline`, 'utf8').includes(demo.dir), `peer pid ${peer.pid} is gone`)
}

describe('meshnode demo', () => {
  it('pushes the bracket through scad -> slice -> print on three peers and names them, and the files, in its summary', async (t) => {
    const demo = startDemo(t)
    const { code, signal } = await exitOf(demo, DEMO_TIMEOUT_MS + 5_000)
    const output = demo.output()
    assert.equal(signal, null, `the demo was killed by ${String(signal)}:\n${output}`)
    assert.equal(code, 0, `the demo exited ${String(code)}:\n${output}`)

    const summary = output.slice(output.indexOf('\nsummary:'))
    assert.ok(output.includes('\nsummary:'), `the demo printed a summary:\n${output}`)
    const rows = [...summary.matchAll(/^\s+(scad|slice|print)\s+on (\S+)\s.*-> (\S+)$/gm)].map(m => ({ kind: m[1], peer: m[2], file: m[3] }))
    assert.deepEqual(rows.map(r => [r.kind, r.peer]), [['scad', 'workstation'], ['slice', 'build-server'], ['print', 'printer-pi']], `one summary row per stage, naming its peer:\n${summary}`)

    const [stl, gcode, report] = rows.map(r => r.file)
    for (const file of [stl, gcode, report]) assert.ok(existsSync(file) && statSync(file).size > 0, `${file} named in the summary exists`)
    assert.match(stl, /\.stl$/)
    assert.match(gcode, /\.gcode$/)
    const printed = JSON.parse(readFileSync(report, 'utf8')) as { linesAcked: number, recordFile: string }
    const commands = gcodeCommands(readFileSync(gcode, 'utf8'))
    assert.equal(printed.linesAcked, commands.length, 'the print report counts every command of the G-code')
    const recordLine = summary.split('\n').find(l => l.includes('record of every command'))
    assert.ok(recordLine?.includes(printed.recordFile), `the summary names the printer's record ${printed.recordFile}`)
    assertRecordHolds(readRecord(printed.recordFile), [{ label: 'the G-code the demo sliced', commands }])
    assert.deepEqual(peersOf(demo.dir), [], 'the demo stopped its peers when it ended')
  })

  it('--keep: prints the dashboard\'s address, leaves the mesh up serving it after the job, and Ctrl-C stops every peer', async (t) => {
    const demo = startDemo(t, ['--keep'])
    const address = await waitFor(() => /stays up \(--keep\): look around in the dashboard at (http:\/\/\S+\/);/.exec(demo.output())?.[1], { timeoutMs: DEMO_TIMEOUT_MS, intervalMs: 250, what: 'the demo to say its mesh stays up' })
    assert.match(demo.output(), new RegExp(`^dashboard: ${address.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} `, 'm'), 'the address was printed while the demo ran')
    const seen = peersOf(demo.dir)
    assert.equal(seen.length, 3, 'the three peers still run')
    const page = await fetch(address, { signal: AbortSignal.timeout(10_000) })
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<div id="app">/)
    demo.child.kill('SIGINT')
    const { code } = await exitOf(demo, STOP_TIMEOUT_MS)
    assert.equal(code, 0, `Ctrl-C ends a kept demo whose job went well with 0:\n${demo.output()}`)
    await assertAllPeersGone(demo, seen)
  })

  it('SIGINT while the job runs stops all three peers', async (t) => {
    const demo = startDemo(t)
    const peers = await waitFor(() => {
      const running = peersOf(demo.dir)
      return demo.output().includes('\nsubmitted ') && running.length === 3 && running
    }, { timeoutMs: DEMO_TIMEOUT_MS, intervalMs: 100, what: 'the demo to submit its job with three peers running' })
    demo.child.kill('SIGINT')
    const { code } = await exitOf(demo, STOP_TIMEOUT_MS)
    assert.equal(code, 130, `the demo exits 130 after SIGINT:\n${demo.output()}`)
    assert.match(demo.output(), /stopping the demo peers/)
    await assertAllPeersGone(demo, peers)
  })

  it('SIGINT while the peers are still starting stops the ones already running', async (t) => {
    const demo = startDemo(t)
    // The first peer runs and answers, the next is on its way: the mesh is half built (polled often enough that
    // the third peer, spawned only once the second answers, is not yet there).
    const peers = await waitFor(() => {
      const running = peersOf(demo.dir)
      return running.length >= 2 && running
    }, { timeoutMs: DEMO_TIMEOUT_MS, intervalMs: 20, what: 'the demo to start its second peer' })
    demo.child.kill('SIGINT')
    const { code, signal } = await exitOf(demo, STOP_TIMEOUT_MS)
    assert.ok(code === 130 || signal === 'SIGINT', `the demo ends on SIGINT (code ${String(code)}, signal ${String(signal)}):\n${demo.output()}`)
    await assertAllPeersGone(demo, peers)
  })
})
