/**
 * The print farm under a queue: --prints prints waiting over --printers virtual printers in fast mode (each its
 * own `meshnode start` peer in a network namespace, `--speed-up` times faster heating, homing and dwells), fed by
 * one requester that offers nothing. It prints:
 *  1. the gap, per printer, from the end of one print to the start of the next, p50 / p99 / max, from the printers'
 *     own heat logs (a print starts when its first heater target reaches the printer, ends with its last line);
 *     and where that time goes, from the requester's records: printer free -> the next print awarded to it ->
 *     the award confirmed -> its first line at the printer;
 *  2. whether the queue's order was kept: every printer is kept busy (a long dwell each) while the prints are
 *     submitted in chunks of mixed priority, until `meshnode queue` on a printer's peer lists them all; then the
 *     dwells are cancelled. A print awarded before one the queue put ahead of it was taken out of order; one whose
 *     first line reached its printer before that of a print ahead of it started out of order. Either is a failure
 *     (exit 1), as is a print lost or printed twice; `--smoke` fails on the first kind only, the second being a
 *     matter of load (see BENCHMARKS.md);
 *  3. the anchor, in the same run: the same virtual printer and PrinterController, in this process, fed the same
 *     files back to back with no market: the gap's floor.
 * Run as root after `npm run build`:
 *   node dist/bench/print-queue.js [--prints 200] [--printers 10] [--layers 4] [--speed-up 50] [--chunk 10] [--anchor-prints 20] [--timeline] [--smoke]
 * `--timeline` prints each print's award, confirmation and first line. `--smoke` (20 prints over 3 printers in
 * chunks of 4, 5 anchor prints, unless given) checks that the bench works.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Level } from 'level'
import { withDaemon } from '../src/cli/run-action.js'
import { LevelCheckpointJournal, type PrintCheckpoint } from '../src/printer/checkpoint-journal.js'
import { PrinterController } from '../src/printer/printer-controller.js'
import { parsePrinterConfig, type PrinterConfig } from '../src/printer/printer-config.js'
import { PRIORITIES, type Priority } from '../src/jobs/print-queue-order.js'
import { TERMINAL_JOB_STATES, type JobRecord } from '../src/jobs/job.js'
import { createLan, waitFor, type Lan, type MeshNode } from '../test/lan/harness.js'
import { peerArgs, sampleGcode, writePrinterConfig } from '../test/e2e/print/printer-record.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    prints: { type: 'string', default: smoke ? '20' : '200' },
    printers: { type: 'string', default: smoke ? '3' : '10' },
    layers: { type: 'string', default: '4' },
    'speed-up': { type: 'string', default: '50' },
    chunk: { type: 'string', default: smoke ? '4' : '10' },
    'anchor-prints': { type: 'string', default: smoke ? '5' : '20' },
    timeline: { type: 'boolean' }
  }
})
const PRINTS = Number(values.prints)
const PRINTERS = Number(values.printers)
const LAYERS = Number(values.layers)
const SPEED_UP = Number(values['speed-up'])
const CHUNK = Number(values.chunk)
const ANCHOR_PRINTS = Number(values['anchor-prints'])
/** Long enough to outlast the submission at any speed-up: the dwells are cancelled, never waited for. */
const DWELL_S = 100_000
const START_TIMEOUT_MS = 180_000
const MARKER = /^M117 (bench-\d+)$/

type ShownJob = JobRecord & { events: Array<{ type: string, at: number, stage?: number, message?: string }> }

/** One print on one printer, from the printer's side: ms since the epoch, as its heat log stamps them. */
interface Span { label: string, start: number, end: number }

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}
const ms = (value: number): string => `${Math.round(value)} ms`
const spread = (values: number[]): string => values.length === 0 ? 'none' : `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}, max ${ms(Math.max(...values))} (${values.length})`
const load = (): string => loadavg().map(l => l.toFixed(1)).join(' ')

/** A printer's node config written into `dir` (its record and heat log beside it), and the printer's own section. */
function printerConfig (dir: string, name: string): { configFile: string, printer: PrinterConfig } {
  const { configFile } = writePrinterConfig(dir, { name, speedUp: SPEED_UP, bedClearsItself: true, heatLog: true })
  return { configFile, printer: parsePrinterConfig(JSON.parse(readFileSync(configFile, 'utf8')).printers[0], 'printers[0]') }
}

/**
 * A print whose first line names it (the record says which print ran where, in order) and whose first heater
 * target and last line, the bed's, mark its start and end in the heat log.
 */
function benchGcode (label: string, tag: number): string {
  const body = sampleGcode(LAYERS, tag).split('\n').filter(line => !/^M140 S0\b/.test(line))
  return [`M117 ${label}`, ...body, 'M140 S0'].join('\n') + '\n'
}

/** The prints a printer ran, each from its first heater target to the bed's last, named by its marker line. */
function spansOf (dir: string, printer: string): Span[] {
  const record = join(dir, `${printer}.record.gcode`)
  const heat = join(dir, `${printer}.heat.log`)
  const labels = existsSync(record) ? readFileSync(record, 'utf8').split('\n').flatMap(line => MARKER.exec(line)?.[1] ?? []) : []
  const starts: number[] = []
  const ends: number[] = []
  let bed = 0
  for (const line of existsSync(heat) ? readFileSync(heat, 'utf8').split('\n') : []) {
    const [at, heater, what, celsius] = line.split(' ')
    if (heater !== 'B' || what !== 'set') continue
    if (Number(celsius) > 0 && bed === 0) starts.push(Number(at))
    if (Number(celsius) === 0 && bed > 0) ends.push(Number(at))
    bed = Number(celsius)
  }
  if (labels.length !== starts.length || ends.length !== starts.length) throw new Error(`${printer}: ${labels.length} prints in its record, ${starts.length} heat-ups and ${ends.length} ends in its heat log`)
  return labels.map((label, i) => ({ label, start: starts[i], end: ends[i] }))
}

/** From the end of each print to the start of the next on the same printer. */
function gapsOf (spans: Span[]): Array<{ before: Span, after: Span, gap: number }> {
  return spans.slice(1).map((after, i) => ({ before: spans[i], after, gap: after.start - spans[i].end }))
}

/**
 * The prints that started (by `at`) while a print ahead of them in `order` had not, and by how much the latest
 * such print ahead started after them.
 */
function outOfOrder (order: string[], at: Map<string, number>): Array<{ label: string, early: number }> {
  return order.flatMap((label, place) => {
    const late = order.slice(0, place).map(ahead => (at.get(ahead) ?? Infinity) - (at.get(label) ?? Infinity)).filter(d => d > 0)
    return late.length > 0 ? [{ label, early: Math.max(...late) }] : []
  })
}

async function call<T> (node: MeshNode, method: string, params?: unknown): Promise<T> {
  return withDaemon(node.dataDir, async c => c.call(method, params))
}

async function submit (lan: Lan, node: MeshNode, files: string[], priority: Priority): Promise<string[]> {
  const result = await lan.runCli(node, ['submit', ...files, '--pipeline', 'print', '--priority', priority, '--detach'], 600_000)
  if (result.code !== 0) throw new Error(`meshnode submit exited ${String(result.code ?? result.signal)}: ${result.stderr}`)
  return result.stdout.trim().split('\n')
}

/** The same virtual printer and controller a printer's peer runs, fed the files back to back: no market. */
async function anchorGaps (dir: string, files: string[]): Promise<number[]> {
  const anchorDir = join(dir, 'anchor')
  await mkdir(anchorDir, { recursive: true })
  const db = new Level<string, PrintCheckpoint>(join(anchorDir, 'db'), { valueEncoding: 'json' })
  const controller = new PrinterController({
    config: printerConfig(anchorDir, 'anchor').printer,
    journal: new LevelCheckpointJournal(db.sublevel<string, PrintCheckpoint>('printer', { valueEncoding: 'json' }))
  })
  try {
    await controller.start()
    await waitFor(() => controller.state === 'idle', { timeoutMs: 20_000, what: 'the anchor printer to come online' })
    for (const [i, file] of files.entries()) {
      const end = await controller.print(`anchor-${i}`, file)
      if (end.status !== 'finished') throw new Error(`the anchor print ${i} ended ${end.status}: ${end.reason ?? ''}`)
    }
  } finally {
    await controller.stop()
    await db.close()
  }
  const spans = await waitFor(() => { const s = spansOf(anchorDir, 'anchor'); return s.length === files.length && s }, { timeoutMs: 10_000, what: 'the anchor\'s logs' })
  return gapsOf(spans).map(g => g.gap)
}

async function main (): Promise<number> {
  console.log(`print queue: ${PRINTS} prints over ${PRINTERS} virtual printers (speed-up ${SPEED_UP}, ${LAYERS} layers each), load ${load()}`)
  const lan = await createLan(undefined, { size: PRINTERS + 1 })
  try {
    const dir = lan.dir
    const printerNames = Array.from({ length: PRINTERS }, (_, i) => `p${i + 1}`)
    const configs = printerNames.map(name => printerConfig(dir, name).configFile)
    const nodes = lan.namespaces.map(({ index: i }) => lan.launch(i, i === 0
      ? { name: 'desk', args: ['--offer', 'none', ...peerArgs(lan, 0)] }
      : { name: `farm-${i}`, args: ['--config', configs[i - 1], '--offer', 'print', ...peerArgs(lan, i)] }))
    // Eleven daemons starting at once on a shared machine take longer than the harness's 30 s.
    await Promise.all(nodes.map(async node => lan.waitReady(node, START_TIMEOUT_MS)))
    const [desk, farm1] = nodes
    await waitFor(async () => {
      const idle = (await call<Array<{ state: string }>>(desk, 'printers')).filter(p => p.state === 'idle').length
      if (idle < PRINTERS) throw new Error(`${idle} idle printers`)
      return true
    }, { timeoutMs: 60_000, what: `the desk to list ${PRINTERS} idle printers` })

    // Every printer busy with a dwell, so that the whole queue is in place before any print is taken from it.
    const dwells = await Promise.all(printerNames.map(async (_, i) => {
      const file = join(dir, `dwell-${i + 1}.gcode`)
      await writeFile(file, `M117 dwell-${i + 1}\nG4 S${DWELL_S}\n`)
      return file
    }))
    const dwellIds = await submit(lan, desk, dwells, 'normal')
    await waitFor(async () => {
      const printing = (await call<Array<{ state: string }>>(desk, 'printers')).filter(p => p.state === 'printing').length
      if (printing < PRINTERS) throw new Error(`${printing} printing`)
      return true
    }, { timeoutMs: 60_000, what: 'every printer to dwell' })

    const files = await Promise.all(Array.from({ length: PRINTS }, async (_, i) => {
      const file = join(dir, `bench-${i + 1}.gcode`)
      await writeFile(file, benchGcode(`bench-${i + 1}`, i % 50))
      return file
    }))
    // Chunks of low, normal and high in turn: the queue's order is by priority, then age, not the submission's.
    const labelOf = new Map<string, string>()
    for (let from = 0, chunk = 0; from < PRINTS; from += CHUNK, chunk++) {
      const ids = await submit(lan, desk, files.slice(from, from + CHUNK), PRIORITIES[2 - chunk % 3])
      ids.forEach((id, i) => labelOf.set(id, `bench-${from + i + 1}`))
    }
    const promised = await waitFor(async () => {
      const entries = await call<Array<{ jobId: string }>>(farm1, 'queue')
      const listed = entries.map(e => labelOf.get(e.jobId)).filter(label => label !== undefined)
      if (listed.length < PRINTS) throw new Error(`it lists ${listed.length}`)
      return listed
    }, { timeoutMs: 120_000, what: `farm-1 to list ${PRINTS} prints in the queue` })
    const atDesk = (await call<Array<{ jobId: string }>>(desk, 'queue')).map(e => labelOf.get(e.jobId))
    if (JSON.stringify(atDesk) !== JSON.stringify(promised)) throw new Error('the desk and farm-1 list the queue in different orders')

    const released = Date.now()
    for (const id of dwellIds) await call(desk, 'cancel', { id })
    const ids = [...labelOf.keys()]
    const ended = await waitFor(async () => {
      const jobs = (await call<JobRecord[]>(desk, 'jobs', { all: true })).filter(j => labelOf.has(j.id))
      const open = jobs.filter(j => !TERMINAL_JOB_STATES.includes(j.state)).length
      if (open > 0 || jobs.length < PRINTS) throw new Error(`${open} of ${PRINTS} still open`)
      return jobs
    }, { timeoutMs: 30 * 60_000, intervalMs: 1000, what: `${PRINTS} prints to end` })
    const seconds = (Date.now() - released) / 1000
    const loadAfter = load()

    const shown = new Map<string, ShownJob>()
    for (const id of ids) shown.set(labelOf.get(id) as string, await call<ShownJob>(desk, 'job', { id }))
    const spansByPrinter = await waitFor(() => {
      const all = printerNames.map(name => spansOf(dir, name))
      return all.flat().length >= PRINTS && all
    }, { timeoutMs: 10_000, what: 'the printers\' logs to hold every print' })
    const started = new Map(spansByPrinter.flat().map(s => [s.label, s.start]))
    const printedTimes = new Map<string, number>()
    for (const span of spansByPrinter.flat()) printedTimes.set(span.label, (printedTimes.get(span.label) ?? 0) + 1)
    const lost = promised.filter(label => !printedTimes.has(label))
    const twice = [...printedTimes].filter(([, n]) => n > 1).map(([label]) => label)
    const failed = ended.filter(j => j.state !== 'done').map(j => `${labelOf.get(j.id) ?? j.id} ${j.state}: ${j.error ?? j.stages[0].error ?? ''}`)

    const lastEvent = (label: string, type: string): number => shown.get(label)?.events.filter(e => e.type === type).at(-1)?.at ?? NaN
    const gaps = spansByPrinter.flatMap(gapsOf)
    console.log(`${PRINTS} prints in ${seconds.toFixed(1)} s from the dwells' cancel: ${ended.length - failed.length} done, ${lost.length} never printed, ${twice.length} printed twice; per printer ${spansByPrinter.map(s => s.length).join(', ')} prints`)
    console.log(`gap from a print's end to the next print's start on the same printer: ${spread(gaps.map(g => g.gap))}`)
    console.log(`  printer free -> next print awarded:   ${spread(gaps.map(g => lastEvent(g.after.label, 'awarded') - g.before.end))}`)
    console.log(`  awarded -> confirmed by the printer:  ${spread(gaps.map(g => lastEvent(g.after.label, 'confirmed') - lastEvent(g.after.label, 'awarded')))}`)
    console.log(`  confirmed -> first line at printer:   ${spread(gaps.map(g => g.after.start - lastEvent(g.after.label, 'confirmed')))}`)
    console.log(`  (printer free -> its result recorded at the desk: ${spread(gaps.map(g => lastEvent(g.before.label, 'stage-done') - g.before.end))})`)
    const retried = [...shown.values()].filter(j => j.stages[0].attempt > 1).length
    console.log(`print length: ${spread(spansByPrinter.flat().map(s => s.end - s.start))}; prints bid for again (an award declined or lost): ${retried}`)

    const lateAwards = outOfOrder(promised, new Map(promised.map(label => [label, lastEvent(label, 'awarded')])))
    const lateStarts = outOfOrder(promised, started)
    const overtaken = lateStarts.filter(s => !lateAwards.some(a => a.label === s.label))
    const listed = (late: Array<{ label: string, early: number }>): string => late.length === 0 ? '' : ` (up to ${ms(Math.max(...late.map(s => s.early)))} before a print ahead of them: ${late.slice(0, 5).map(s => s.label).join(', ')})`
    console.log(`queue order (${promised.length} prints, as farm-1 and the desk listed it): ${lateAwards.length} taken out of order (awarded before a print ahead of them)${listed(lateAwards)}; ${lateStarts.length} started out of order${listed(lateStarts)}`)
    if (overtaken.length > 0) console.log(`  ${overtaken.length} of those starts were awarded in order: another printer's peer was slower from its award to its first line`)
    if (values.timeline === true) {
      for (const label of promised) console.log(`  ${label}: ${shown.get(label)?.stages[0].peerName ?? '?'} awarded ${lastEvent(label, 'awarded') - released}, confirmed ${lastEvent(label, 'confirmed') - released}, first line ${(started.get(label) ?? NaN) - released}, attempt ${shown.get(label)?.stages[0].attempt ?? '?'} (ms from the dwells' cancel)`)
      for (const label of promised) for (const e of shown.get(label)?.events.filter(e => e.type === 'retry') ?? []) console.log(`  ${label} at ${e.at - released}: ${e.message ?? ''}`)
    }
    const anchor = await anchorGaps(dir, files.slice(0, ANCHOR_PRINTS))
    const meshP50 = percentile(gaps.map(g => g.gap), 0.5)
    console.log(`anchor, the same printer and controller fed back to back in this process, no market: gap ${spread(anchor)}; the mesh's p50 is ${(meshP50 / Math.max(1, percentile(anchor, 0.5))).toFixed(0)}x it, ${ms(meshP50 - percentile(anchor, 0.5))} more`)
    console.log(`load at the prints' end ${loadAfter}, after the anchor ${load()}`)
    for (const failure of failed.slice(0, 5)) console.log(`failed: ${failure}`)
    // A smoke run asserts what makes the farm work (nothing lost or doubled, the queue's order as printers take
    // work); a start overtaken on another printer by a few hundred ms of load is a figure to read in a full run.
    const broken = lost.length > 0 || twice.length > 0 || failed.length > 0 || lateAwards.length > 0 || (!smoke && lateStarts.length > 0)
    return broken ? 1 : 0
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\nlogs of the LAN's processes:\n${lan.logTails(15)}\n`)
    return 1
  } finally {
    await lan.close()
  }
}

process.exitCode = await main()
