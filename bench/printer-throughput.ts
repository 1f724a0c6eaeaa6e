/**
 * Sustained G-code throughput to the virtual printer over a socat PTY, against the line-rate bound and against
 * printrun's printcore on the same virtual printer, in the same run; a bare link that only answers each `ok`
 * with the next line shows what the link alone costs in CPU. Run after `npm run build`:
 *
 *   node dist/bench/printer-throughput.js [LINES] [RUNS] [--smoke]
 *
 * `--smoke` sends 50 lines once per host (LINES and RUNS still override it): a check that the bench works.
 *
 * Each run starts a fresh virtual printer (`meshnode virtual-printer`) in a child process, so the sender's CPU
 * figure is the sender's alone, and checks the printer's record against the file: no lost or doubled line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { GcodeSender } from '../src/printer/gcode-sender.js'
import { frameLine } from '../src/printer/checksum.js'
import { gcodeCommand } from '../src/printer/gcode-text.js'
import { openSerialTransport } from '../src/printer/serial-transport.js'
import { LineSplitter } from '../src/printer/transport.js'

const { positionals, values: flags } = parseArgs({ allowPositionals: true, options: { smoke: { type: 'boolean', default: false } } })
const LINES = Number(positionals[0] ?? (flags.smoke ? 50 : 2000))
const RUNS = Number(positionals[1] ?? (flags.smoke ? 1 : 3))
const BAUDS = [115200, 250000]
const HOUSEKEEPING = /^(M110|M105|M115|M155)\b/
const OK_BYTES = 16
const PRINTCORE = `
import json, sys, time
from printrun.printcore import printcore
from printrun import gcoder
port, baud, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
gcode = gcoder.LightGCode([line for line in open(path)])
p = printcore(port, baud)
deadline = time.time() + 15
while not p.online and time.time() < deadline:
    time.sleep(0.01)
if not p.online:
    sys.exit('printcore never came online')
cpu, wall = time.process_time(), time.time()
p.startprint(gcode)
while p.printing and time.time() < deadline + 600:
    time.sleep(0.002)
print(json.dumps({'seconds': time.time() - wall, 'cpuSeconds': time.process_time() - cpu}))
try:
    p.disconnect()
except RuntimeError:
    # printcore 2.0.0rc8 may join its send thread before that thread has started; the figures are out already.
    pass
`

interface RunResult { seconds: number, cpuSeconds: number, exact: boolean }

/** The built CLI: the printer runs as `meshnode virtual-printer` does for a user. */
const meshnodeBin = fileURLToPath(new URL('../src/bin/meshnode.js', import.meta.url))

interface PrinterProcess { child: ChildProcess, exited: Promise<unknown>, pty: string, record: string }

async function startPrinter (dir: string, baud: number): Promise<PrinterProcess> {
  const pty = join(dir, 'ttyBENCH')
  const record = join(dir, 'record.txt')
  const child = spawn(process.execPath, [meshnodeBin, 'virtual-printer', '--pty', pty, '--baud', String(baud), '--record', record, '--speed-up', '100'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('virtual printer did not start in 10 s')) }, 10_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('virtual printer on')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', () => { clearTimeout(timer); reject(new Error('virtual printer exited')) })
  })
  return { child, exited, pty, record }
}

async function stopPrinter (printer: PrinterProcess): Promise<void> {
  if (printer.child.exitCode === null && printer.child.signalCode === null) printer.child.kill('SIGTERM')
  await printer.exited
}

async function recordIsExact (record: string, expected: string[]): Promise<boolean> {
  const recorded = (await readFile(record, 'latin1')).split('\n').filter((line) => line !== '' && !HOUSEKEEPING.test(line))
  return recorded.length === expected.length && recorded.every((line, i) => line.replace(/\s+/g, ' ') === expected[i].replace(/\s+/g, ' '))
}

type Host = 'meshnode' | 'meshnode-1' | 'bare-link' | 'printcore'

const HOST_LABELS: Record<Host, string> = {
  meshnode: 'meshnode (ADVANCED_OK window)',
  'meshnode-1': 'meshnode (1 line in flight)',
  'bare-link': 'bare serial link, no sender (1 line in flight)',
  printcore: 'printrun printcore'
}

/** Wall time and this process's CPU time around `work`. */
async function measured (work: () => Promise<unknown>): Promise<{ seconds: number, cpuSeconds: number }> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  await work()
  const used = process.cpuUsage(cpu)
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 }
}

async function printcoreRun (pty: string, baud: number, gcode: string): Promise<{ seconds: number, cpuSeconds: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    const py = spawn('/usr/bin/python3', ['-c', PRINTCORE, pty, String(baud), gcode], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    py.stdout.on('data', (chunk: Buffer) => { text += chunk.toString() })
    py.once('exit', (code) => { code === 0 ? resolve(text) : reject(new Error(`printcore exited ${code}`)) })
  })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}')
}

async function meshnodeRun (pty: string, baud: number, gcode: string, maxInFlight?: number): Promise<{ seconds: number, cpuSeconds: number }> {
  const sender = new GcodeSender(await openSerialTransport(pty, baud), { bannerTimeoutMs: 300, ...(maxInFlight === undefined ? {} : { maxInFlight }) })
  try {
    await sender.connect()
    return await measured(async () => await sender.print(gcode))
  } finally {
    await sender.close()
  }
}

/**
 * The floor under any sender on this link: each `ok` answered at once with the next framed line, nothing else
 * (no parsing, ledger, file reading or timers).
 */
async function bareLinkRun (pty: string, baud: number, expected: string[]): Promise<{ seconds: number, cpuSeconds: number }> {
  const link = await openSerialTransport(pty, baud)
  try {
    return await measured(async () => await new Promise<void>((resolve) => {
      let sent = 0
      const sendNext = (): void => {
        if (sent === expected.length) resolve()
        else link.write(frameLine(++sent, expected[sent - 1]) + '\n')
      }
      const splitter = new LineSplitter((line) => { if (line.startsWith('ok')) sendNext() })
      link.onData((chunk) => { splitter.push(chunk) })
      sendNext()
    }))
  } finally {
    await link.close()
  }
}

async function oneRun (dir: string, baud: number, gcode: string, expected: string[], host: Host): Promise<RunResult> {
  const printer = await startPrinter(dir, baud)
  try {
    const result = host === 'printcore'
      ? await printcoreRun(printer.pty, baud, gcode)
      : host === 'bare-link'
        ? await bareLinkRun(printer.pty, baud, expected)
        : await meshnodeRun(printer.pty, baud, gcode, host === 'meshnode-1' ? 1 : undefined)
    await stopPrinter(printer)
    return { ...result, exact: await recordIsExact(printer.record, expected) }
  } finally {
    await stopPrinter(printer)
  }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-bench-printer-'))
  try {
    const gcode = join(dir, 'bench.gcode')
    const lines = ['; bench file', 'G28']
    for (let i = 1; lines.length < LINES + 1; i++) lines.push(i % 50 === 0 ? `G1 Z${(i / 250).toFixed(2)} F600` : `G1 X${(i % 200).toFixed(3)} Y${((i * 7) % 200).toFixed(3)} E${(i * 0.0312).toFixed(5)}`)
    await writeFile(gcode, lines.join('\n') + '\n')
    const expected = lines.map(gcodeCommand).filter((c) => c !== '')
    const wireBytes = expected.reduce((sum, command, i) => sum + frameLine(i + 1, command).length + 1 + OK_BYTES, 0)
    const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ')
    process.stdout.write(`load average at the start: ${load()}\n\n`)
    process.stdout.write(`| baud | host | lines/s (median of ${RUNS}) | bound lines/s | of bound | sender CPU s | CPU µs/line | exact |\n|---|---|---|---|---|---|---|---|\n`)
    for (const baud of BAUDS) {
      const bound = expected.length / (wireBytes * 10 / baud)
      for (const host of ['meshnode', 'meshnode-1', 'bare-link', 'printcore'] as const) {
        const runs: RunResult[] = []
        for (let run = 0; run < RUNS; run++) runs.push(await oneRun(dir, baud, gcode, expected, host))
        const rate = median(runs.map((r) => expected.length / r.seconds))
        const cpu = median(runs.map((r) => r.cpuSeconds))
        process.stdout.write(`| ${baud} | ${HOST_LABELS[host]} | ${rate.toFixed(0)} | ${bound.toFixed(0)} | ${(100 * rate / bound).toFixed(0)}% | ${cpu.toFixed(2)} | ${(cpu * 1e6 / expected.length).toFixed(0)} | ${runs.every((r) => r.exact) ? 'yes' : 'NO'} |\n`)
        // A lost or doubled line is a broken sender, not a slow one.
        if (!runs.every((r) => r.exact)) process.exitCode = 1
      }
    }
    process.stdout.write(`\nload average at the end: ${load()}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
