import assert from 'node:assert/strict'
import { jobDetail } from '../../src/cli/job-view.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { JobRecord } from '../../src/jobs/job.js'

/** What sets one virtual printer apart from the next; unsaid, a 0.4 mm PLA printer on a 250x210x210 bed. */
export interface VirtualPrinterMake {
  nozzleMm?: number
  material?: string
  bed?: { x: number, y: number, z: number }
  /** How much faster than real time it prints: a test's prints take seconds, not minutes. */
  speedUp?: number
  recordFile?: string
  heatLogFile?: string
}

/** The `printers[i]` section of a node config (as a config file holds it) for a virtual printer that clears its own bed. */
export function virtualPrinterSection (name: string, make: VirtualPrinterMake = {}): Record<string, unknown> {
  return {
    name,
    port: 'virtual',
    baud: 250000,
    bed: make.bed ?? { x: 250, y: 210, z: 210 },
    nozzleMm: make.nozzleMm ?? 0.4,
    material: make.material ?? 'PLA',
    bedClearsItself: true,
    virtual: { speedUp: make.speedUp ?? 50, faults: [], recordFile: make.recordFile, heatLogFile: make.heatLogFile }
  }
}

/**
 * A change to a peer's config (for `startPeer`): one virtual printer `name` that takes prints from any peer,
 * and the peer offers print and nothing else.
 */
export function withVirtualPrinter (name: string, make: VirtualPrinterMake = {}): (config: NodeConfig) => void {
  const printer = parsePrinterConfig(virtualPrinterSection(name, make), 'printers[0]')
  return config => {
    config.printers = [printer]
    config.trust.print = ['*']
    config.offers = ['print']
  }
}

/**
 * The job is done, its print (stage `index`) ran on the peer `printedOn`, and the peer `refused.by` refused it
 * for `refused.reason`. Gives the job as "meshnode job" shows it, for what else a test asserts.
 */
export function assertPrintedOn (job: JobRecord, index: number, printedOn: string, refused: { by: string, reason: RegExp }): string {
  const detail = jobDetail(job)
  assert.equal(job.state, 'done', detail)
  assert.equal(job.stages[index].peerName, printedOn, detail)
  const refusal = job.stages[index].bids.find(b => b.peerName === refused.by)
  assert.equal(refusal?.accept, false, detail)
  assert.match(refusal?.reason ?? '', refused.reason)
  return detail
}
