import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, afterEach, before, describe, it } from 'node:test'
import { meshnodeBin } from '../../../src/paths.js'
import { createLan, waitFor } from '../../lan/harness.js'
import { cliJson, peerArgs, readRecord, sampleGcode, waitForMesh, writePrinterConfig } from './printer-record.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { VirtualPrinterNode } from './printer-record.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** What `meshnode printers --json` lists for each printer of the mesh. */
interface PrinterRow {
  peerName: string
  name: string
  state: string
  currentJob: string
  progress: number
  hotendC: number
  bedC: number
}

/** One `printers --json` answer and when it was asked for: the daemon answered between `start` and `end`. */
interface Sample {
  start: number
  end: number
  row: PrinterRow
}

/** The bound: what a peer shows of a printer is at most this old. */
const FOLLOW_MS = 2000
const HOUSEKEEPING = /^(M110 N0|M115|M155 S\d+|M105)$/

describe('printers on other peers: state events, the G-code policy and print trust', () => {
  let lan: Lan
  let printerNode: MeshNode
  let laptop: MeshNode
  let printer: VirtualPrinterNode

  const mk3On = async (node: MeshNode): Promise<Sample> => {
    const start = Date.now()
    const rows = await cliJson<PrinterRow[]>(lan, node, ['printers'])
    const row = rows.find(r => r.peerName === 'printer-pi' && r.name === 'mk3')
    assert.ok(row !== undefined, `${node.name} lists mk3 of printer-pi: ${JSON.stringify(rows)}`)
    return { start, end: Date.now(), row }
  }

  before(async () => {
    lan = await createLan(undefined, { size: 3 })
    // trust.print comes from the flag, not the config; speed-up 10 makes a print of some seconds with a visible heat-up.
    printer = writePrinterConfig(lan.dir, { name: 'mk3', speedUp: 10, baud: 115200, trustPrint: null })
    // An open mesh: its print trust default (only itself) is what the last test is about.
    ;[printerNode, laptop] = await Promise.all([
      lan.start(0, { name: 'printer-pi', mesh: 'open', args: ['--config', printer.configFile, '--offer', 'print', '--trust-print', '*', ...peerArgs(lan, 0)] }),
      lan.start(1, { name: 'laptop', mesh: 'open', args: ['--offer', 'none', ...peerArgs(lan, 1)] })
    ])
    await waitForMesh(lan, [printerNode, laptop])
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('a G-code with M303 from another peer fails before any line reaches the printer, naming the line', async () => {
    const file = join(lan.dir, 'tune.gcode')
    const lines = sampleGcode(3, 1).split('\n')
    lines.splice(40, 0, 'M303 E0 S230 C8 ; autotune')
    writeFileSync(file, lines.join('\n'))
    const before = readRecord(printer.recordFile)
    const result = await lan.runCli(laptop, ['submit', file, '--pipeline', 'print', '--json'], 60_000)
    assert.equal(result.code, 1, `the print must fail: ${result.stdout.slice(-1000)}`)
    const [job] = JSON.parse(result.stdout) as JobRecord[]
    assert.equal(job.state, 'failed')
    assert.equal(job.stages[0].peerName, 'printer-pi', 'the printer node took the stage and refused it itself')
    assert.match(job.stages[0].error ?? '', /refuses line 41 of the G-code, "M303 E0 S230 C8": M303 is not taken from other peers/)
    assert.equal(job.stages[0].attempt, 1, 'a refused G-code is not offered to the printer again')
    const record = readRecord(printer.recordFile)
    assert.deepEqual(record, before, 'the virtual printer ran nothing of the refused job')
    assert.ok(record.every(line => HOUSEKEEPING.test(line)), `only the connection handshake: ${record.join(' | ')}`)
  })

  it('during a print, "meshnode printers" on the laptop follows the state, progress and temperatures within 2 s', async () => {
    const file = join(lan.dir, 'part.gcode')
    writeFileSync(file, sampleGcode(150, 2))
    const submitted = await lan.runCli(laptop, ['submit', file, '--pipeline', 'print', '--detach'])
    assert.equal(submitted.code, 0, submitted.stderr)
    const jobId = submitted.stdout.trim()

    const atPrinter: Sample[] = []
    const atLaptop: Sample[] = []
    // Both asked at once each round: a round's answers are of the same moment, give or take a CLI start. Bounded
    // by time as well as count: how many rounds a print lasts depends on how quickly this machine starts a CLI.
    const watchUntil = Date.now() + 120_000
    for (let round = 0; round < 2000 && Date.now() < watchUntil; round++) {
      const [a, b] = await Promise.all([mk3On(printerNode), mk3On(laptop)])
      atPrinter.push(a)
      atLaptop.push(b)
      if (a.row.state === 'bed-occupied') break
    }
    const printing = atPrinter.filter(s => s.row.state === 'printing')
    assert.ok(printing.length >= 5, `the print was watched for a while: ${printing.length} rounds`)
    assert.ok(printing.some(s => s.row.progress > 0.2 && s.row.progress < 0.8), 'the print was watched in its middle')
    assert.ok(printing.some(s => s.row.hotendC > 150), 'the hotend was watched hot')
    assert.equal(atPrinter.at(-1)?.row.state, 'bed-occupied', 'the print ended within the rounds')

    for (const seen of atLaptop) {
      const what = `at ${new Date(seen.start).toISOString()} the laptop showed ${JSON.stringify(seen.row)}`
      // Everything the printer reported that was already FOLLOW_MS old when the laptop was asked.
      const known = atPrinter.filter(a => a.end <= seen.start - FOLLOW_MS)
      // What the printer may have been reporting over the window the laptop's answer can come from.
      const window = atPrinter.filter(a => a.end >= seen.start - FOLLOW_MS && a.start <= seen.end)
      assert.ok(window.length > 0)
      const progressFloor = Math.max(0, ...known.filter(a => a.row.currentJob === jobId).map(a => a.row.progress))
      if (seen.row.currentJob === jobId) {
        assert.ok(seen.row.progress >= progressFloor - 1e-9, `${what}: behind the printer's ${progressFloor} of 2 s before`)
        // A printer that has finished the job within the window had printed all of it.
        const ceiling = Math.max(...window.map(a => a.row.currentJob === jobId ? a.row.progress : a.row.state === 'bed-occupied' ? 1 : 0))
        assert.ok(seen.row.progress <= ceiling + 1e-9, `${what}: ahead of the printer`)
      } else {
        assert.ok(known.at(-1)?.row.currentJob !== jobId || seen.row.state === 'bed-occupied', `${what}: no job, though 2 s before the printer was printing it`)
      }
      // Temperatures move both ways: the laptop's must lie among the printer's readings of that window, widened
      // by one round so the reading just before the window's start brackets it too.
      const around = atPrinter.filter(a => a.end >= seen.start - FOLLOW_MS - 500 && a.start <= seen.end)
      for (const key of ['hotendC', 'bedC'] as const) {
        const read = around.map(a => a.row[key])
        assert.ok(seen.row[key] >= Math.min(...read) - 1.5 && seen.row[key] <= Math.max(...read) + 1.5,
          `${what}: ${key} ${seen.row[key]} °C, the printer read ${Math.min(...read)}..${Math.max(...read)} °C then`)
      }
    }

    const ended = atPrinter.at(-1) as Sample
    const shown = await waitFor(async () => {
      const seen = await mk3On(laptop)
      return seen.row.state === 'bed-occupied' && seen
    }, { timeoutMs: FOLLOW_MS + 3000, intervalMs: 100, what: 'the laptop to show mk3 bed-occupied' })
    assert.ok(shown.start - ended.end <= FOLLOW_MS, `bed-occupied reached the laptop ${shown.start - ended.end} ms after the printer said so`)
    assert.equal(shown.row.currentJob, '')

    const cleared = await lan.runCli(printerNode, ['printer', 'clear', 'mk3'])
    assert.equal(cleared.stdout.trim(), 'mk3: idle')
    const clearedAt = Date.now()
    const idle = await waitFor(async () => (await mk3On(laptop)).row.state === 'idle' && Date.now(),
      { timeoutMs: FOLLOW_MS + 3000, intervalMs: 100, what: 'the laptop to show mk3 idle once cleared' })
    assert.ok(idle - clearedAt <= FOLLOW_MS + 1000, `idle reached the laptop ${idle - clearedAt} ms after the clear`)
  })

  it('a peer that joins later shows the printer as it is, not the record\'s snapshot of the print\'s end', async () => {
    // The record was signed when the print ended, with a hot nozzle; the printer has cooled since.
    await sleep(1000)
    // It has a printer of its own and no trust flag: the last test has it refuse the laptop's print.
    const late = await lan.start(2, { name: 'open-printer', mesh: 'open', args: ['--printer', 'vp=virtual', ...peerArgs(lan, 2)] })
    await waitForMesh(lan, [printerNode, laptop, late])
    const listed = Date.now()
    const seen = await waitFor(async () => {
      const [a, b] = await Promise.all([mk3On(printerNode), mk3On(late)])
      return Math.abs(a.row.hotendC - b.row.hotendC) <= 1.5 && a.row.state === b.row.state && b
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'the late peer to show mk3 as the printer does' })
    assert.ok(seen.end - listed <= FOLLOW_MS + 1000, `the late peer caught up ${seen.end - listed} ms after it listed the printer`)
  })

  it('an open-mesh printer started with only --printer refuses another peer\'s print, and submit says why within seconds', async () => {
    const file = join(lan.dir, 'small.gcode')
    writeFileSync(file, 'G90\nG1 X10 Y10 F3000\n')
    const started = Date.now()
    const submit = lan.spawn(1, 'submit-to-vp', [process.execPath, meshnodeBin, 'submit', file, '--pipeline', 'print', '--printer', 'vp', '--data-dir', laptop.dataDir])
    const line = await waitFor(() => {
      const out = readFileSync(submit.stdoutPath, 'utf8')
      return out.split('\n').find(l => /refused by .*open-printer: does not take prints from laptop/.test(l))
    }, { timeoutMs: 15_000, intervalMs: 100, what: 'submit to print why open-printer refuses' })
    assert.ok(Date.now() - started <= 6000, `submit said why after ${Date.now() - started} ms: ${line}`)
    assert.match(line, /--trust-print/, 'the refusal says how to change it')
    assert.equal(submit.exitStatus, undefined, 'the stage still asks, in case a printer that trusts the laptop joins')
    const jobId = line.trim().split(/\s+/)[0]
    const job = await cliJson<JobRecord>(lan, laptop, ['job', jobId])
    assert.equal(job.stages[0].state, 'bidding', 'nobody was awarded the print')
    assert.equal(job.stages[0].peerId, undefined)
    await lan.runCli(laptop, ['cancel', jobId])
  })
})
