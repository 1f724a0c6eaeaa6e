import { PRINTER_COMMANDS, type CommandEnd } from '../executors/admin-command.js'
import { parsePrinterLoad, PrinterLoadError } from '../printer/printer-loads.js'
import { PrinterNotReadyError } from '../printer/errors.js'
import type { PrintDesk } from '../printer/print-desk.js'
import type { PrinterController } from '../printer/printer-controller.js'

export type PrinterCommand = typeof PRINTER_COMMANDS[number]

/** What each command takes after the printer's name, for the refusal that names it. */
const USAGE: Record<PrinterCommand, string> = {
  'printer-pause': 'PRINTER',
  'printer-resume': 'PRINTER',
  'printer-cancel': 'PRINTER',
  'printer-clear': 'PRINTER',
  'printer-load': 'PRINTER MATERIAL [NOZZLE_MM]'
}

export function isPrinterCommand (name: string): name is PrinterCommand {
  return (PRINTER_COMMANDS as readonly string[]).includes(name)
}

/**
 * The printer operator commands (`meshnode printer pause NAME` and the rest) as an admin runs them on a node:
 * the same print desk and controllers the local API calls, for this node's own printers only. The arguments
 * are checked before anything moves: a printer name from this node's config, a material as slicers name it.
 */
export class PrinterCommands {
  private readonly printers: Pick<PrintDesk, 'get' | 'load' | 'controllers'>

  constructor (printers: Pick<PrintDesk, 'get' | 'load' | 'controllers'>) {
    this.printers = printers
  }

  /** The commands this node answers: none without printers. */
  names (): readonly PrinterCommand[] {
    return this.printers.controllers.length > 0 ? PRINTER_COMMANDS : []
  }

  /**
   * Arguments that do not fit end the run with an error and touch nothing; a printer that cannot do it now
   * (pause while not printing) says why on stderr and exits 1, as the local command fails.
   */
  async run (name: PrinterCommand, args: readonly string[], onLine: (stream: 'stdout' | 'stderr', line: string) => void): Promise<CommandEnd> {
    const most = name === 'printer-load' ? 3 : 1
    const least = name === 'printer-load' ? 2 : 1
    if (args.length < least || args.length > most) return { timedOut: false, error: `${name} takes ${USAGE[name]}, not ${args.length} argument${args.length === 1 ? '' : 's'}` }
    const printer = this.printers.get(args[0])
    if (printer == null) {
      const own = this.printers.controllers.map(c => c.config.name).join(', ')
      return { timedOut: false, error: `no printer named ${JSON.stringify(args[0].slice(0, 64))} on this node (it has: ${own})` }
    }
    try {
      onLine('stdout', await this.act(name, printer, args.slice(1)))
      return { exitCode: 0, timedOut: false }
    } catch (err: any) {
      if (err instanceof PrinterLoadError) return { timedOut: false, error: err.message }
      if (!(err instanceof PrinterNotReadyError)) throw err
      onLine('stderr', err.message)
      return { exitCode: 1, timedOut: false }
    }
  }

  /** Does it, and says what the printer is now. */
  private async act (name: PrinterCommand, printer: PrinterController, rest: readonly string[]): Promise<string> {
    const printerName = printer.config.name
    switch (name) {
      case 'printer-pause': await printer.pause(); break
      case 'printer-resume': await printer.resumePaused(); break
      case 'printer-cancel': printer.cancel(); break
      case 'printer-clear': await printer.clearBed(); break
      case 'printer-load': {
        await this.printers.load(printer, parsePrinterLoad(rest[0], rest[1]))
        const status = printer.status()
        return `${printerName}: ${status.material}, ${status.nozzleMm} mm nozzle`
      }
    }
    return `${printerName}: ${printer.status().state}`
  }
}
