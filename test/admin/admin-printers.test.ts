import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { cli, connectAll, makeAdmin, startAdminPeer } from './admin-fixture.js'
import { tempDir } from '../market/mesh-fixture.js'
import { sampleGcode } from '../e2e/print/printer-record.js'
import { waitFor } from '../lan/wait.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** What `by` sees of pi's printer mk3 in its directory. */
function mk3Seen (by: MeshNode, pi: MeshNode): { state: string, material: string, nozzleMm: number } | undefined {
  return by.capabilities.peer(pi.libp2p.peerId.toString())?.record.printers.find(p => p.name === 'mk3')
}

test('the printer operator commands run on a node\'s own printers through admin run: pause, resume, cancel, clear, load, seen by the other peers', async (t) => {
  const dir = await tempDir(t, 'admin-printers-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const pi = await startAdminPeer(t, dir, 'pi', admin, c => {
    c.tags = ['printers']
    c.offers = ['print']
    // Slow enough that the print is still under way when the admin pauses it.
    c.printers = [parsePrinterConfig({ name: 'mk3', port: 'virtual', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', virtual: { speedUp: 20, faults: [] } }, 'printers[0]')]
  })
  await connectAll([a, pi])
  await waitFor(() => a.admin.reports.fleet().some(n => n.name === 'pi'), { timeoutMs: 30_000, what: 'a to hear pi\'s report' })
  const run = async (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => cli(['admin', 'run', '--key', admin.keyFile, '--data-dir', a.config.dataDir, '--to', 'printers', ...args])

  const idle = await run('printer-pause', 'mk3')
  assert.equal(idle.code, 1)
  assert.match(idle.stderr, /^pi \| printer mk3 is not printing$/m)
  assert.match(idle.stdout, /^pi: exit code 1$/m)

  const gcode = join(dir, 'part.gcode')
  await writeFile(gcode, sampleGcode(400, 1))
  const submitted = await cli(['submit', '--data-dir', pi.config.dataDir, '--pipeline', 'print', '--json', '--detach', gcode])
  assert.equal(submitted.code, 0, submitted.stderr)
  await waitFor(() => mk3Seen(a, pi)?.state === 'printing', { timeoutMs: 60_000, what: 'a to see mk3 printing' })

  const paused = await run('printer-pause', 'mk3')
  assert.equal(paused.code, 0, paused.stdout + paused.stderr)
  assert.match(paused.stdout, /^pi \| mk3: paused$/m)
  assert.match(paused.stdout, /^pi: exit code 0$/m)
  await waitFor(() => mk3Seen(a, pi)?.state === 'paused', { timeoutMs: 30_000, what: 'a to see mk3 paused' })

  const resumed = await run('printer-resume', 'mk3')
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
  assert.match(resumed.stdout, /^pi \| mk3: printing$/m)

  const cancelled = await run('printer-cancel', 'mk3')
  assert.equal(cancelled.code, 0, cancelled.stdout + cancelled.stderr)
  await waitFor(() => !['printing', 'paused'].includes(pi.printers.get('mk3')?.status().state ?? ''), { timeoutMs: 60_000, what: 'the cancelled print to end' })

  const cleared = await run('printer-clear', 'mk3')
  assert.equal(cleared.code, 0, cleared.stdout + cleared.stderr)
  assert.match(cleared.stdout, /^pi \| mk3: idle$/m)

  const loaded = await run('printer-load', 'mk3', 'PETG', '0.6')
  assert.equal(loaded.code, 0, loaded.stdout + loaded.stderr)
  assert.match(loaded.stdout, /^pi \| mk3: PETG, 0.6 mm nozzle$/m)
  await waitFor(() => mk3Seen(a, pi)?.material === 'PETG' && mk3Seen(a, pi)?.nozzleMm === 0.6, { timeoutMs: 30_000, what: 'a to see PETG and a 0.6 mm nozzle on mk3' })
})

test('admin printer commands refuse a printer the node does not have, a material that is no material, and nodes without printers', async (t) => {
  const dir = await tempDir(t, 'admin-printers-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const pi = await startAdminPeer(t, dir, 'pi', admin, c => {
    c.printers = [parsePrinterConfig({ name: 'mk3', port: 'virtual', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', virtual: { speedUp: 50, faults: [] } }, 'printers[0]')]
  })
  await connectAll([a, pi])
  await waitFor(() => a.admin.reports.fleet().some(n => n.name === 'pi'), { timeoutMs: 30_000, what: 'a to hear pi\'s report' })
  const run = async (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => cli(['admin', 'run', '--key', admin.keyFile, '--data-dir', a.config.dataDir, ...args])

  const ghost = await run('--to', 'pi', 'printer-pause', '../mk3')
  assert.equal(ghost.code, 1)
  assert.match(ghost.stdout, /^pi: no printer named "..\/mk3" on this node \(it has: mk3\)$/m)

  const injected = await run('--to', 'pi', 'printer-load', 'mk3', 'PLA; M502')
  assert.equal(injected.code, 1)
  assert.match(injected.stdout, /^pi: a material is letters, digits, spaces and "\+\._-", up to 64 characters/m)
  const long = await run('--to', 'pi', 'printer-load', 'mk3', 'P'.repeat(65))
  assert.match(long.stdout, /^pi: a material is/m)
  assert.equal(pi.printers.get('mk3')?.status().material, 'PLA', 'nothing was loaded')

  const noArgs = await run('--to', 'pi', 'printer-load', 'mk3')
  assert.match(noArgs.stdout, /^pi: printer-load takes PRINTER MATERIAL \[NOZZLE_MM\], not 1 argument$/m)

  const none = await run('--to', 'a', 'printer-pause', 'mk3')
  assert.equal(none.code, 1)
  assert.match(none.stdout, /^a: no command "printer-pause" is declared on a \(it has: drain, undrain, restart\)$/m)
})
