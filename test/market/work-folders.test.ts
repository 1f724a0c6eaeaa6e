import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ControlClient } from '../../src/api/control-client.js'
import { packageRoot } from '../../src/paths.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { sampleGcode } from '../e2e/print/printer-record.js'
import { waitFor } from '../lan/wait.js'
import { jobEnded, slowService, startPeer, stopPeer, tempDir, unsandboxed } from './mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

async function workEntries (node: MeshNode): Promise<string[]> {
  return (await readdir(join(node.config.dataDir, 'work')).catch(() => [] as string[])).sort()
}

/** A requester that offers nothing and an executor with embedded OpenSCAD and a `slow` service of `seconds`. */
async function requesterAndRenderer (t: TestContext, dir: string, seconds: number): Promise<{ requester: MeshNode, executor: MeshNode, restartExecutor: () => Promise<MeshNode> }> {
  const slow = await slowService(dir, seconds)
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const renderer = (c: NodeConfig): void => {
    c.services = [slow]
    c.tools = { ...c.tools, openscad: false, embedded: { openscad: true, cura: false } }
    unsandboxed(c)
  }
  const executor = await startPeer(t, dir, 'executor', renderer)
  const restartExecutor = async (): Promise<MeshNode> => {
    await stopPeer(executor)
    return startPeer(t, dir, 'executor', renderer)
  }
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('scad') && p.record.offers.includes('slow')),
    { timeoutMs: 10_000, what: 'the requester to see the executor' })
  return { requester, executor, restartExecutor }
}

test('after each job the executor\'s work folder is empty: a render, a design that fails, a cancelled stage', async (t) => {
  const dir = await tempDir(t, 'meshnode-folders-')
  const { requester, executor, restartExecutor } = await requesterAndRenderer(t, dir, 60)
  const submit = async (file: string, pipeline: string[]): Promise<string> =>
    (await requester.jobs.submit({ files: [file], extra: [], pipeline, options: { params: {} } }))[0].id

  const rendered = await jobEnded(requester, await submit(join(packageRoot(), 'examples', 'bracket.scad'), ['scad']))
  assert.equal(rendered.state, 'done', rendered.error)
  assert.deepEqual(await workEntries(executor), [], 'nothing is left in work/ after a render')
  const stl = rendered.stages[0].output?.hash as string
  assert.ok(await executor.blobStore.has(stl), 'the executor still serves the STL it made')
  assert.match((await readFile(join(dir, 'requester', 'blobs', stl.slice(0, 2), stl.slice(2)), 'utf8')).slice(0, 5), /solid/, 'the requester has the STL')

  const broken = join(dir, 'broken.scad')
  await writeFile(broken, 'cube([10, 10, 10]\n')
  const failed = await jobEnded(requester, await submit(broken, ['scad']))
  assert.equal(failed.state, 'failed')
  assert.deepEqual(await workEntries(executor), [], 'nothing is left in work/ after a tool failed')

  const input = join(dir, 'part.txt')
  await writeFile(input, 'a part to copy slowly\n')
  const id = await submit(input, ['slow'])
  await waitFor(async () => existsSync(join(dir, 'slow.runs')), { timeoutMs: 15_000, intervalMs: 50, what: 'the slow tool to start' })
  assert.equal((await workEntries(executor)).length, 1, 'the running stage has its folder')
  await requester.jobs.cancel(id)
  assert.equal((await jobEnded(requester, id)).state, 'cancelled')
  await waitFor(async () => (await workEntries(executor)).length === 0, { timeoutMs: 15_000, intervalMs: 50, what: 'the cancelled stage\'s folder to go' })

  // The cancelled award's record answers a repeated offer while the executor runs; a restart lets it go.
  const restarted = await restartExecutor()
  const records: string[] = []
  for await (const key of restarted.db.sublevel<string, unknown>('work', { valueEncoding: 'json' }).keys()) records.push(key)
  assert.deepEqual(records, [], 'no work record outlives a restart once its stage has ended')
})

test('a restart sweeps what earlier runs left in work/, keeps the folder of an interrupted print, and the print resumes from it', async (t) => {
  const dir = await tempDir(t, 'meshnode-sweep-')
  const printer = (faults: string[]): Parameters<typeof parsePrinterConfig>[0] => ({
    name: 'mk3', port: 'virtual', baud: 250000, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', bedClearsItself: true, virtual: { speedUp: 50, faults }
  })
  // The link drops at line 60: the print stops half way and waits for an operator.
  const first = await startPeer(t, dir, 'pi', c => { c.printers = [parsePrinterConfig(printer(['disconnect:60']), 'printers[0]')] })
  const gcode = join(dir, 'part.gcode')
  await writeFile(gcode, sampleGcode(8, 1))
  const [job] = await first.jobs.submit({ files: [gcode], extra: [], pipeline: ['print'], options: { params: {} } })
  const interrupted = await waitFor(async () => {
    const record = await first.jobStore.get(job.id) as JobRecord
    return record.stages[0].state === 'interrupted' ? record : undefined
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'the print to be interrupted' })
  const folder = `${job.id}-0-${interrupted.stages[0].token}`
  assert.deepEqual(await workEntries(first), [folder], 'the interrupted print keeps its folder')
  await stopPeer(first)

  // What a crash leaves behind, and what is not the node's to remove.
  const work = join(dir, 'pi', 'work')
  const outside = join(dir, 'outside')
  await mkdir(outside)
  await writeFile(join(outside, 'keep.txt'), 'not the node\'s\n')
  await mkdir(join(work, 'j0123456789ab-1-3'))
  await writeFile(join(work, 'j0123456789ab-1-3', 'input.stl'), 'solid leftover\n')
  await writeFile(join(work, 'j0123456789ab-resumed-report.json'), '{}\n')
  await symlink(outside, join(work, 'jfeedfacecafe-0-2'))
  await writeFile(join(work, 'notes.txt'), 'an operator\'s file\n')

  const second = await startPeer(t, dir, 'pi', c => { c.printers = [parsePrinterConfig(printer([]), 'printers[0]')] })
  assert.deepEqual(await workEntries(second), [folder, 'notes.txt'].sort(), 'leftovers are gone; the held print and a name the node never gives stay')
  assert.deepEqual(await readdir(outside), ['keep.txt'], 'a link in work/ was removed, not followed')
  assert.deepEqual(await readdir(join(work, folder)), ['input.gcode'], 'the print\'s G-code is still there')

  const client = await ControlClient.connect(second.config.dataDir)
  t.after(() => { client.close() })
  await client.call('print.resume', { job: job.id, fromLine: 1 })
  const done = await jobEnded(second, job.id)
  assert.equal(done.state, 'done', done.error)
  assert.deepEqual(await workEntries(second), ['notes.txt'], 'the resumed print\'s folder and report are gone once it is done')
})

test('an operator abandons an interrupted print: the job fails saying so, its folder goes, the part stays on the bed until cleared', async (t) => {
  const dir = await tempDir(t, 'meshnode-abandon-')
  const withPrinter = (faults: string[]) => (c: NodeConfig): void => {
    c.printers = [parsePrinterConfig({
      name: 'mk3', port: 'virtual', baud: 250000, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', virtual: { speedUp: 50, faults }
    }, 'printers[0]')]
  }
  // The link drops at line 60; the peer is then restarted with the printer plugged back in.
  const first = await startPeer(t, dir, 'pi', withPrinter(['disconnect:60']))
  const gcode = join(dir, 'part.gcode')
  await writeFile(gcode, sampleGcode(8, 1))
  const [job] = await first.jobs.submit({ files: [gcode], extra: [], pipeline: ['print'], options: { params: {} } })
  await waitFor(async () => ((await first.jobStore.get(job.id) as JobRecord).stages[0].state === 'interrupted'),
    { timeoutMs: 30_000, intervalMs: 50, what: 'the print to be interrupted' })
  await stopPeer(first)
  const pi = await startPeer(t, dir, 'pi', withPrinter([]))
  assert.equal((await workEntries(pi)).length, 1, 'the interrupted print keeps its folder')

  const client = await ControlClient.connect(pi.config.dataDir)
  t.after(() => { client.close() })
  await assert.rejects(client.call('print.abandon', { job: 'j000000000000' }), /no printer here has an interrupted print of job j000000000000/)
  const printer = await client.call('print.abandon', { job: job.id })
  assert.equal(printer.state, 'bed-occupied', 'the half-printed part is still on the bed')
  const failed = await jobEnded(pi, job.id)
  assert.equal(failed.state, 'failed')
  assert.match(failed.stages[0].error ?? '', /the interrupted print was abandoned by the operator of pi/)
  assert.deepEqual(await workEntries(pi), [], 'the abandoned print\'s folder is gone')
  await assert.rejects(client.call('print.resume', { job: job.id, fromLine: 1 }), /no printer here has an interrupted print/, 'an abandoned print cannot be resumed')
  assert.equal((await client.call('printer.clear', { name: 'mk3' })).state, 'idle')
})
