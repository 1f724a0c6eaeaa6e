import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { buildConfig } from '../../src/cli/start-config.js'
import { jobShape, noJob } from '../../src/gateways/octoprint/job-shape.js'
import { checkPrintable, watchedPrinter } from '../../src/gateways/octoprint/mesh-printers.js'
import { printerShape } from '../../src/gateways/octoprint/printer-shape.js'
import type { JobRecord, StageRecord } from '../../src/jobs/job.js'

const file = (name: string, size: number): JobRecord['input'] => ({ hash: 'a'.repeat(64), size, name, holders: [] })

function job (state: JobRecord['state'], stages: Array<Partial<StageRecord>>): JobRecord {
  return {
    id: 'j000000000001',
    requester: 'p',
    requesterName: 'desk',
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    state,
    input: file('cube.stl', 684),
    extra: [],
    options: { params: {} },
    stages: stages.map((s, index) => ({ index, kind: 'print', state: 'pending', attempt: 1, token: 1, bids: [], ...s })),
    rev: 1
  }
}

test('GET /api/job\'s shape: the print stage\'s file, progress and times, and OctoPrint\'s state text', () => {
  const now = 1_700_000_400_000
  const printing = jobShape(job('running', [
    { kind: 'slice', state: 'done' },
    { kind: 'print', state: 'running', input: file('cube.gcode', 10_000), progress: 0.25, startedAt: now - 100_000 }
  ]), 'cura', now)
  assert.equal(printing.state, 'Printing')
  assert.deepEqual(printing.job.file, { name: 'cube.gcode', origin: 'local', size: 10_000, date: 1_700_000_000 })
  assert.deepEqual(printing.progress, { completion: 25, filepos: 2500, printTime: 100, printTimeLeft: 300, printTimeLeftOrigin: 'linear' })

  const slicing = jobShape(job('running', [{ kind: 'slice', state: 'running' }, { kind: 'print', state: 'pending' }]), 'cura', now)
  assert.equal(slicing.state, 'Starting')
  assert.equal(slicing.job.file.name, 'cube.stl', 'before the slice is done, the file is the upload')
  assert.equal(slicing.progress.printTimeLeft, null)

  const failed = jobShape({ ...job('failed', [{ kind: 'print', state: 'failed', error: 'no printer took it' }]), error: 'stage 0 (print) failed: no printer took it' }, 'cura', now)
  assert.equal(failed.state, 'Error')
  assert.match(failed.error ?? '', /no printer took it/)

  assert.equal(noJob().state, 'Operational')
  assert.equal(noJob().job.file.name, null)
})

test('GET /api/printer\'s shape: flags from the mesh printer\'s state, readings without targets', () => {
  const shape = (state: string): any => printerShape({ name: 'mk3', state, material: 'PLA', hotendC: 205.1, bedC: 60 })
  assert.deepEqual(shape('printing').state, { text: 'Printing', flags: { operational: true, paused: false, printing: true, pausing: false, cancelling: false, sdReady: false, error: false, ready: false, closedOrError: false } })
  assert.equal(shape('paused').state.flags.paused, true)
  assert.equal(shape('idle').state.flags.ready, true)
  assert.equal(shape('bed-occupied').state.flags.ready, false, 'a bed holding the last part is not ready for the next')
  assert.equal(shape('interrupted').state.flags.error, true)
  assert.deepEqual(shape('idle').temperature.tool0, { actual: 205.1, target: null, offset: 0 })
})

test('which printer a key prints on and watches', () => {
  const printers = [
    { name: 'mk3', state: 'printing', material: 'PLA', currentJob: 'j1' },
    { name: 'voron', state: 'offline', material: 'PETG' }
  ]
  assert.doesNotThrow(() => { checkPrintable(printers, {}) })
  assert.doesNotThrow(() => { checkPrintable(printers, { printer: 'mk3' }) }, 'a busy printer: the job waits for it')
  assert.throws(() => { checkPrintable(printers, { printer: 'voron' }) }, { name: 'PrinterNotOperationalError', message: /voron is offline/ })
  assert.throws(() => { checkPrintable(printers, { printer: 'prusa' }) }, { name: 'PrinterNotOperationalError', message: /prusa/ })
  assert.throws(() => { checkPrintable(printers, { material: 'PETG' }) }, { name: 'PrinterNotOperationalError', message: /PETG/ })
  assert.throws(() => { checkPrintable([], {}) }, { name: 'PrinterNotOperationalError' })

  assert.equal(watchedPrinter(printers, { printer: 'voron' }, 'j1')?.name, 'voron')
  assert.equal(watchedPrinter(printers, {}, 'j1')?.name, 'mk3', 'the printer printing the key\'s last job')
  assert.equal(watchedPrinter(printers, {}, undefined), undefined, 'two printers, none named: no guess')
  assert.equal(watchedPrinter([printers[0]], {}, undefined)?.name, 'mk3', 'the mesh\'s only printer')
})

test('meshnode start --octoprint: an address turns the gateway on, keeping the config\'s keys; "off" turns it off; a bad one names the flag', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-octoprint-flag-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const configFile = join(dir, 'node.json')
  await writeFile(configFile, JSON.stringify({ gateways: { octoprint: { listen: '127.0.0.1:5000', keys: { prusaslicer: { printer: 'mk3' } } } } }))
  assert.deepEqual((await buildConfig({ config: configFile, octoprint: '0.0.0.0:5001' })).gateways.octoprint, { listen: '0.0.0.0:5001', keys: { prusaslicer: { printer: 'mk3' } } })
  assert.equal((await buildConfig({ octoprint: '0.0.0.0:5000' })).gateways.octoprint?.listen, '0.0.0.0:5000')
  assert.equal((await buildConfig({ octoprint: 'off' })).gateways.octoprint, undefined)
  assert.equal((await buildConfig({})).gateways.octoprint, undefined, 'off by default')
  await assert.rejects(buildConfig({ octoprint: 'octopi.local:5000' }), (err: unknown) => err instanceof ConfigError && err.field === '--octoprint')
})
