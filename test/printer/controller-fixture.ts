import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Level } from 'level'
import { LevelCheckpointJournal, type PrintCheckpoint } from '../../src/printer/checkpoint-journal.js'
import { PrinterController } from '../../src/printer/printer-controller.js'
import type { PrinterConfig } from '../../src/printer/printer-config.js'
import { connectInProcess } from '../../src/printer/virtual/in-process-link.js'
import { VirtualPrinter, type VirtualPrinterOptions } from '../../src/printer/virtual/virtual-printer.js'

export const PLA_PRINTER: PrinterConfig = {
  name: 'mk3',
  port: 'virtual',
  baud: 115200,
  bed: { x: 250, y: 210, z: 210 },
  nozzleMm: 0.4,
  material: 'PLA',
  bedClearsItself: false
}

export interface ControllerRig {
  controller: PrinterController
  printer: VirtualPrinter
  journal: LevelCheckpointJournal
  db: Level<string, PrintCheckpoint>
}

/** A controller over a real LevelDB journal and an in-process virtual printer; all closed after the test. */
export async function controllerRig (t: TestContext, dir: string, printerOptions: VirtualPrinterOptions, config: Partial<PrinterConfig> = {}): Promise<ControllerRig> {
  const db = new Level<string, PrintCheckpoint>(join(dir, 'db'), { valueEncoding: 'json' })
  const journal = new LevelCheckpointJournal(db.sublevel<string, PrintCheckpoint>('printer', { valueEncoding: 'json' }))
  const printer = new VirtualPrinter({ speedUp: 1000, ...printerOptions })
  const controller = new PrinterController({
    config: { ...PLA_PRINTER, ...config },
    journal,
    openLink: async () => connectInProcess(printer),
    pollMs: 50,
    checkpointEveryMs: 200,
    senderOptions: { bannerTimeoutMs: 100 }
  })
  t.after(async () => {
    await controller.stop()
    await printer.close()
    await db.close()
  })
  return { controller, printer, journal, db }
}

/** Waits, at most `limitMs`, until `condition` holds; throws naming what it waited for. */
export async function until (what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`)
    await sleep(10)
  }
}
