import { checkPrintable, type MeshPrinter } from './mesh-printers.js'
import { printPipeline } from './file-types.js'
import type { MethodTable } from '../../api/method-table.js'
import type { GatewayKey } from './api-key.js'
import type { KeptFile } from './kept-files.js'
import type { LastJobs } from './last-jobs.js'

/**
 * Turns a kept file into a print job of the mesh through the node's methods: `printers` to refuse what no printer
 * could take (OctoPrint's 409), then `jobs.create` with the key's printer, material and profile. The mesh picks
 * the printer among those that bid; the key's settings narrow the choice.
 */
export class PrintSubmitter {
  constructor (private readonly methods: Pick<MethodTable, 'call'>, private readonly lastJobs: Pick<LastJobs, 'record'>) {}

  async print (file: KeptFile, key: GatewayKey, signal: AbortSignal): Promise<string> {
    const pipeline = printPipeline(file.name)
    const ctx = { caller: key.caller, signal, emit: () => {} }
    checkPrintable(await this.methods.call('printers', {}, ctx) as MeshPrinter[], key.defaults)
    const { printer, material, profile } = key.defaults
    const options = Object.fromEntries(Object.entries({ printer, material, profile }).filter(([, v]) => v != null))
    const jobs = await this.methods.call('jobs.create', { files: [{ hash: file.hash, size: file.size, name: file.name }], pipeline, options }, ctx) as Array<{ id: string }>
    await this.lastJobs.record(key.caller.name, jobs[0].id)
    return jobs[0].id
  }
}
