import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parsePrinterLoad } from '../../printer/printer-loads.js'
import type { CapabilityService } from '../../capabilities/capability-service.js'
import type { WorkQueue } from '../../compute/work-queue.js'
import type { PowerBudget } from '../../printer/power-budget.js'
import type { PrintDesk } from '../../printer/print-desk.js'
import type { MethodTable } from '../method-table.js'

class NoSuchPrinterError extends Error {
  constructor (name: string) {
    super(`no printer named ${name} on this node`)
    this.name = 'NoSuchPrinterError'
  }
}

/** Resume or abandon named a job no printer here holds as interrupted. */
class NoInterruptedPrintError extends Error {
  constructor (job: string) {
    super(`no printer here has an interrupted print of job ${job}`)
    this.name = 'NoInterruptedPrintError'
  }
}

export interface PrintersComponents {
  printers: Pick<PrintDesk, 'get' | 'records' | 'load' | 'controllers'>
  capabilities: Pick<CapabilityService, 'local' | 'peers'>
  work: Pick<WorkQueue, 'abandonPrint' | 'resumePrint'>
  /** Where a resumed print's report is written. */
  dataDir: string
  /** The power group this node's printers heat up in turn with, when the config names one. */
  power?: Pick<PowerBudget, 'status'>
}

/** Printer commands of the control API: the mesh's printers, and the operator's decisions on this node's. */
export function registerPrinters (api: MethodTable, components: PrintersComponents): void {
  const { printers, capabilities, work } = components
  const printer = (name: unknown): NonNullable<ReturnType<typeof printers.get>> => {
    const found = printers.get(String(name))
    if (found == null) throw new NoSuchPrinterError(String(name))
    return found
  }

  api.register('printers', async () => {
    const self = capabilities.local()
    // This node's own printers also say which print an operator may resume or abandon, and from where.
    const own = printers.records().map(p => {
      const interrupted = printers.get(p.name)?.status().interrupted
      return interrupted == null ? p : { ...p, interruptedJob: interrupted.jobId, interruptedAtLine: interrupted.lastAckedLine }
    })
    const entries = [{ peerId: self.peerId, peerName: self.name, printers: own, local: true }]
    for (const peer of capabilities.peers()) entries.push({ peerId: peer.peerId, peerName: peer.name, printers: peer.record.printers, local: false })
    return entries.flatMap(e => e.printers.map(p => ({ ...p, peerId: e.peerId, peerName: e.peerName, local: e.local })))
  })

  api.register('power', async () => components.power?.status() ?? { slots: [] })

  api.register('printer.clear', async (params) => {
    await printer(params.name).clearBed()
    return printer(params.name).status()
  })

  api.register('printer.load', async (params) => {
    await printers.load(printer(params.name), parsePrinterLoad(params.material, params.nozzleMm))
    return printer(params.name).status()
  })

  api.register('printer.pause', async (params) => { await printer(params.name).pause(); return printer(params.name).status() })
  api.register('printer.resume', async (params) => { await printer(params.name).resumePaused(); return printer(params.name).status() })
  api.register('printer.cancel', async (params) => { printer(params.name).cancel(); return printer(params.name).status() })

  const interruptedPrinter = (job: unknown): NonNullable<ReturnType<typeof printer>> => {
    const controller = printers.controllers.find(c => c.status().interrupted?.jobId === job)
    if (controller == null) throw new NoInterruptedPrintError(String(job))
    return controller
  }

  api.register('print.abandon', async (params) => {
    const controller = interruptedPrinter(params.job)
    await work.abandonPrint(String(params.job), async () => controller.abandon(String(params.job)))
    return controller.status()
  })

  api.register('print.resume', async (params) => {
    const controller = interruptedPrinter(params.job)
    const fromLine = Number(params.fromLine)
    const resumed = work.resumePrint(String(params.job), async () => {
      const end = await controller.resume(String(params.job), fromLine)
      if (end.status !== 'finished') throw new Error(`the resumed print ${end.status}: ${end.reason ?? ''}`)
      const outputPath = join(components.dataDir, 'work', `${String(params.job)}-resumed-report.json`)
      await writeFile(outputPath, JSON.stringify({ printer: controller.config.name, job: params.job, resumedFromLine: fromLine, linesAcked: end.progress?.linesAcked, recordFile: controller.config.virtual?.recordFile }, null, 2) + '\n')
      return { outputPath, command: ['print', controller.config.name, '--from-line', String(fromLine)] }
    })
    // A print takes hours: answer once it is under way (or has failed to start), and let it run on.
    const started = await Promise.race([resumed.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 1000))])
    if (!started) resumed.catch(() => {})
    return controller.status()
  })
}
