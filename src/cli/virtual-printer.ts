import { Command, InvalidArgumentError, Option } from 'commander'
import { BAUD_RATES } from '../printer/printer-config.js'
import { FAULT_SYNTAX, parseFaultSpec, type VirtualFault } from '../printer/virtual/fault-spec.js'
import { runAction } from './run-action.js'

interface VirtualPrinterFlags {
  pty: string
  baud: number
  record?: string
  fault: VirtualFault[]
  speedUp: number
  seed: number
}

/** `meshnode virtual-printer`: a Marlin-like printer on a PTY, for trying hosts (ours or printrun) without hardware. */
export function virtualPrinterCommand (): Command {
  return new Command('virtual-printer')
    .description('serve a simulated Marlin printer on a PTY (made with socat) until interrupted')
    .option('--pty <path>', 'where the printer\'s device appears', '/tmp/meshnode-printer')
    .option('--baud <n>', `line rate the printer imposes (one of ${BAUD_RATES.join(', ')})`, parseBaud, 115200)
    .option('--record <file>', 'write every command the printer runs, one a line, in order')
    .addOption(new Option('--fault <spec...>', 'stage a fault (repeatable), see below').argParser(collectFault).default([]))
    .option('--speed-up <factor>', 'heat, home and dwell this many times faster', parsePositive, 1)
    .option('--seed <n>', 'seed of the random resend fault', parsePositive, 1)
    .addHelpText('after', `\nFault specs (N is the host's line number, from 1 after M110):\n${FAULT_SYNTAX.replace(/^/gm, '  ')}\n\nAfter a disconnect the PTY is made again at the same path, as a printer plugged back in.`)
    .action(async (flags: VirtualPrinterFlags) => {
      await runAction(async () => { await serve(flags) })
    })
}

async function serve (flags: VirtualPrinterFlags): Promise<void> {
  // Loaded here so the serial port's native binding costs nothing to the other commands.
  const { servePrinterOnPty } = await import('../printer/virtual/pty-link.js')
  const { VirtualPrinter } = await import('../printer/virtual/virtual-printer.js')
  const printer = new VirtualPrinter({ baud: flags.baud, speedUp: flags.speedUp, faults: flags.fault, seed: flags.seed, recordFile: flags.record })
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
  if (!(BAUD_RATES as readonly number[]).includes(baud)) throw new InvalidArgumentError(`must be one of ${BAUD_RATES.join(', ')}`)
  return baud
}

function parsePositive (value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number')
  return n
}

function collectFault (spec: string, previous: VirtualFault[]): VirtualFault[] {
  try {
    return [...previous, parseFaultSpec(spec)]
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}
