import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parsePrinterLoad } from '../printer/printer-loads.js'
import type { MeshNode } from './mesh-node.js'

class NoSuchPrinterError extends Error {
  constructor (name: string) {
    super(`no printer named ${name} on this node`)
    this.name = 'NoSuchPrinterError'
  }
}

/** Printer commands of the control API: the mesh's printers, and the operator's decisions on this node's. */
export function registerPrinterApi (node: MeshNode): void {
  const { api, printers } = node
  const printer = (name: unknown): NonNullable<ReturnType<typeof printers.get>> => {
    const found = printers.get(String(name))
    if (found == null) throw new NoSuchPrinterError(String(name))
    return found
  }

  api.register('printers', async () => {
    const self = node.capabilities.local()
    const entries = [{ peerId: self.peerId, peerName: self.name, printers: printers.records(), local: true }]
    for (const peer of node.capabilities.peers()) entries.push({ peerId: peer.peerId, peerName: peer.name, printers: peer.record.printers, local: false })
    return entries.flatMap(e => e.printers.map(p => ({ ...p, peerId: e.peerId, peerName: e.peerName, local: e.local })))
  })

  api.register('power', async () => node.power?.status() ?? { slots: [] })

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
    if (controller == null) throw new Error(`no printer here has an interrupted print of job ${String(job)}`)
    return controller
  }

  api.register('print.abandon', async (params) => {
    const controller = interruptedPrinter(params.job)
    await node.work.abandonPrint(String(params.job), async () => controller.abandon(String(params.job)))
    return controller.status()
  })

  api.register('print.resume', async (params) => {
    const controller = interruptedPrinter(params.job)
    const fromLine = Number(params.fromLine)
    const resumed = node.work.resumePrint(String(params.job), async () => {
      const end = await controller.resume(String(params.job), fromLine)
      if (end.status !== 'finished') throw new Error(`the resumed print ${end.status}: ${end.reason ?? ''}`)
      const outputPath = join(node.config.dataDir, 'work', `${String(params.job)}-resumed-report.json`)
      await writeFile(outputPath, JSON.stringify({ printer: controller.config.name, job: params.job, resumedFromLine: fromLine, linesAcked: end.progress?.linesAcked, recordFile: controller.config.virtual?.recordFile }, null, 2) + '\n')
      return { outputPath, command: ['print', controller.config.name, '--from-line', String(fromLine)] }
    })
    // A print takes hours: answer once it is under way (or has failed to start), and let it run on.
    const started = await Promise.race([resumed.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 1000))])
    if (!started) resumed.catch(() => {})
    return controller.status()
  })
}
