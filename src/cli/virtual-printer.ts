import { BAUD_RATES } from '../printer/printer-config.js'
import { FAULT_SYNTAX, parseFaultSpec, type VirtualFault } from '../printer/virtual/fault-spec.js'
import type { Command } from './command.js'

interface VirtualPrinterFlags {
  pty?: string
  baud?: string
  record?: string
  fault?: string[]
  speedUp?: string
  seed?: string
}

/** `meshnode virtual-printer`: a Marlin-like printer on a PTY, for trying hosts (ours or printrun) without hardware. */
export const virtualPrinter: Command = {
  flags: [
    { spec: '--pty <path>', help: 'where the printer\'s device appears (default: /tmp/meshnode-printer)' },
    { spec: '--baud <n>', help: `line rate the printer imposes (one of ${BAUD_RATES.join(', ')}; default: 115200)` },
    { spec: '--record <file>', help: 'write every command the printer runs, one a line, in order' },
    { spec: '--fault <spec>', help: 'stage a fault (repeatable), see below', repeatable: true },
    { spec: '--speed-up <factor>', help: 'heat, home and dwell this many times faster (default: 1)' },
    { spec: '--seed <n>', help: 'seed of the random resend fault (default: 1)' }
  ],
  epilog: `Fault specs (N is the host's line number, from 1 after M110):\n${FAULT_SYNTAX.replace(/^/gm, '  ')}\n\nAfter a disconnect the PTY is made again at the same path, as a printer plugged back in.`,
  run: async (_args, flags: VirtualPrinterFlags) => {
    await serve({
      pty: flags.pty ?? '/tmp/meshnode-printer',
      baud: parseBaud(flags.baud ?? '115200'),
      record: flags.record,
      faults: (flags.fault ?? []).map(spec => parseFault(spec)),
      speedUp: parsePositive(flags.speedUp ?? '1', '--speed-up'),
      seed: parsePositive(flags.seed ?? '1', '--seed')
    })
  }
}

async function serve (flags: { pty: string, baud: number, record?: string, faults: VirtualFault[], speedUp: number, seed: number }): Promise<void> {
  // Loaded here so the serial port's native binding costs nothing to the other commands.
  const { servePrinterOnPty } = await import('../printer/virtual/pty-link.js')
  const { VirtualPrinter } = await import('../printer/virtual/virtual-printer.js')
  const printer = new VirtualPrinter({ baud: flags.baud, speedUp: flags.speedUp, faults: flags.faults, seed: flags.seed, recordFile: flags.record })
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => { resolve('SIGINT') })
    process.once('SIGTERM', () => { resolve('SIGTERM') })
  })
  let stopping = false
  void stop.then(() => { stopping = true })
  try {
    while (!stopping) {
      const pty = await servePrinterOnPty(printer, flags.pty)
      process.stdout.write(`virtual printer on ${pty.path} at ${flags.baud} baud\n`)
      const why = await Promise.race([stop, pty.gone.then(() => 'gone' as const)])
      await pty.close()
      if (why === 'gone' && !stopping) process.stdout.write('virtual printer disconnected; plugging it back in\n')
    }
  } finally {
    await printer.close()
  }
}

function parseBaud (value: string): number {
  const baud = Number(value)
  if (!(BAUD_RATES as readonly number[]).includes(baud)) throw new Error(`--baud must be one of ${BAUD_RATES.join(', ')}, not "${value}"`)
  return baud
}

function parsePositive (value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, not "${value}"`)
  return n
}

function parseFault (spec: string): VirtualFault {
  try {
    return parseFaultSpec(spec)
  } catch (err) {
    throw new Error(`--fault "${spec}": ${(err as Error).message}`)
  }
}
