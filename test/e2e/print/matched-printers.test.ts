import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobDetail } from '../../../src/cli/job-view.js'
import { withDaemon } from '../../../src/cli/run-action.js'
import { TERMINAL_JOB_STATES, type JobRecord } from '../../../src/jobs/job.js'
import { startPeer, stopPeer, tempDir } from '../../market/mesh-fixture.js'
import { waitFor } from '../../lan/wait.js'
import { curaMarlinGcode, prusaGcode } from '../../printer/sliced-gcode.js'
import { assertPrintedOn, withVirtualPrinter, type VirtualPrinterMake } from '../../printer/virtual-printer-peer.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'


async function ended (node: MeshNode, id: string): Promise<JobRecord> {
  return waitFor(async () => {
    const record = await node.jobStore.get(id) as JobRecord
    return TERMINAL_JOB_STATES.includes(record.state) && record
  }, { timeoutMs: 60_000, intervalMs: 50, what: `job ${id} to end` })
}

async function submitPrint (laptop: MeshNode, file: string): Promise<JobRecord> {
  const [job] = await laptop.jobs.submit({ files: [file], extra: [], pipeline: ['print'], options: { params: {} } })
  return ended(laptop, job.id)
}

const PLA_PRINTER: VirtualPrinterMake = { nozzleMm: 0.4, material: 'PLA', bed: { x: 250, y: 210, z: 210 }, speedUp: 100 }

test('printers matched to the part: nozzle, material and bed from the G-code; "printer load" changes what a printer takes, also after a restart', async (t) => {
  const dir = await tempDir(t, 'meshnode-matched-')
  let plaPi = await startPeer(t, dir, 'pla-pi', withVirtualPrinter('mk3', PLA_PRINTER))
  const petgPi = await startPeer(t, dir, 'petg-pi', withVirtualPrinter('big', { nozzleMm: 0.6, material: 'PETG', bed: { x: 300, y: 260, z: 260 }, speedUp: 100 }))
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const workshop = await startPeer(t, dir, 'workshop', c => {
    c.offers = ['scad', 'slice']
    Object.assign(c.tools, { curaEngine: false, slic3r: false })
  })
  const printerPeers = async (count: number): Promise<void> => {
    await waitFor(async () => laptop.capabilities.peers().filter(p => p.record.offers.includes('print')).length === count, { timeoutMs: 10_000, intervalMs: 50, what: `${count} printer peers` })
  }
  for (const peer of [plaPi, petgPi, workshop]) await laptop.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  // The printers fetch the G-code from the workshop that sliced it.
  for (const pi of [plaPi, petgPi]) await pi.libp2p.dial(workshop.libp2p.getMultiaddrs()[0])
  await printerPeers(2)

  await t.test('a PrusaSlicer G-code for a 0.6 mm nozzle and PETG: the 0.4 mm PLA printer refuses with both reasons, the matching one prints it', async () => {
    const file = join(dir, 'bracket.gcode')
    await writeFile(file, prusaGcode({ nozzleMm: 0.6, material: 'PETG' }))
    const detail = assertPrintedOn(await submitPrint(laptop, file), 0, 'petg-pi', { by: 'pla-pi', reason: /loaded material is PLA, job needs PETG; nozzle is 0\.4 mm, job needs 0\.6 mm/ })
    assert.match(detail, /pla-pi: refuses: loaded material is PLA, job needs PETG; nozzle is 0\.4 mm, job needs 0\.6 mm/, 'meshnode job shows the reasons')
  })

  await t.test('a Cura G-code whose moves span 260 mm is refused by the 250 mm bed and printed on the 300 mm one', async () => {
    const file = join(dir, 'panel.gcode')
    await writeFile(file, curaMarlinGcode({ sizeMm: 260, layers: 2 }))
    assertPrintedOn(await submitPrint(laptop, file), 0, 'petg-pi', { by: 'pla-pi', reason: /build volume is 250x210x210 mm, job needs 260x260x0\.4 mm/ })
  })

  // What `meshnode printer load` sends its daemon.
  const loadMk3 = async (material: string | undefined, nozzleMm: string | undefined): Promise<{ material: string, nozzleMm: number }> => {
    return await withDaemon(plaPi.config.dataDir, async c => c.call('printer.load', { name: 'mk3', material, nozzleMm }))
  }

  await t.test('scad,slice,print with no profile is sliced for the printer class that has a profile, and printed there', async () => {
    // mk3 now holds PETG behind a 0.4 mm nozzle, as the bundled petg-0.2mm profile slices for; the 0.6 mm printer has no profile.
    await assert.rejects(loadMk3('PETG', '0.4mm'), { name: 'PrinterLoadError', message: /a nozzle is 0\.05 to 5 mm; got "0\.4mm"/ })
    await assert.rejects(loadMk3(undefined, undefined), { name: 'PrinterLoadError' })
    assert.equal(plaPi.printers.get('mk3')?.config.material, 'PLA', 'a refused load changes nothing')
    const shown = await loadMk3('PETG', undefined)
    assert.deepEqual([shown.material, shown.nozzleMm], ['PETG', 0.4], 'the answer is the printer as it is now')
    await waitFor(async () => laptop.capabilities.peers().find(p => p.name === 'pla-pi')?.record.printers[0]?.material === 'PETG', { timeoutMs: 5_000, intervalMs: 50, what: 'mk3 advertised with PETG' })
    const design = join(dir, 'block.scad')
    await writeFile(design, 'cube([20, 10, 5]);\n')
    const [submitted] = await laptop.jobs.submit({ files: [design], extra: [], pipeline: ['scad', 'slice', 'print'], options: { params: {} } })
    const job = await ended(laptop, submitted.id)
    assertPrintedOn(job, 2, 'pla-pi', { by: 'petg-pi', reason: /nozzle is 0\.6 mm, job needs 0\.4 mm/ })
    assert.ok(job.stages[1].command?.some(arg => arg.endsWith('petg-0.2mm.ini')), `sliced with the PETG profile: ${job.stages[1].command?.join(' ') ?? ''}`)
  })

  await t.test('"printer load mk3 --nozzle 0.6": advertised at once, kept (with the PETG loaded before) over a restart, and the printer takes the part', async () => {
    await loadMk3(undefined, '0.6')
    const advertised = async (): Promise<void> => {
      await waitFor(async () => {
        const mk3 = laptop.capabilities.peers().find(p => p.name === 'pla-pi')?.record.printers.find(p => p.name === 'mk3')
        return mk3?.material === 'PETG' && mk3.nozzleMm === 0.6
      }, { timeoutMs: 5_000, intervalMs: 50, what: 'the laptop to see mk3 with PETG and a 0.6 mm nozzle' })
    }
    await advertised()
    await stopPeer(plaPi)
    await stopPeer(petgPi)
    await printerPeers(0)
    plaPi = await startPeer(t, dir, 'pla-pi', withVirtualPrinter('mk3', PLA_PRINTER))
    await laptop.libp2p.dial(plaPi.libp2p.getMultiaddrs()[0])
    await advertised()
    const file = join(dir, 'bracket-2.gcode')
    await writeFile(file, prusaGcode({ nozzleMm: 0.6, material: 'PETG', sizeMm: 30 }))
    const job = await submitPrint(laptop, file)
    assert.equal(job.state, 'done', jobDetail(job))
    assert.equal(job.stages[0].peerName, 'pla-pi')
  })
})
