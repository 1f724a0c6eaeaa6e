import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { Level } from 'level'
import { LevelCheckpointJournal, type PrintCheckpoint } from '../../src/printer/checkpoint-journal.js'
import { parsePrinterConfig, parsePrinterFlag } from '../../src/printer/printer-config.js'
import { tempDir } from './fixtures.js'

const valid = { name: 'mk3', port: '/dev/ttyUSB0', baud: 115200, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA' }

test('a printer section parses with defaults', () => {
  assert.deepEqual(parsePrinterConfig(valid, 'printers[0]'), { ...valid, bedClearsItself: false })
  const virtual = parsePrinterConfig({ ...valid, port: 'virtual', virtual: { speedUp: 50, faults: ['disconnect:800'] } }, 'printers[0]')
  assert.deepEqual(virtual.virtual, { speedUp: 50, faults: [{ kind: 'disconnect', line: 800 }] })
})

test('a bad printer section names the exact bad field', () => {
  const bad = (raw: unknown): string => {
    try {
      parsePrinterConfig(raw, 'printers[0]')
    } catch (err) {
      assert.equal((err as Error).name, 'ConfigError')
      return (err as { field: string }).field
    }
    assert.fail('accepted a bad printer section')
  }
  assert.equal(bad({ ...valid, baud: 12345 }), 'printers[0].baud')
  assert.equal(bad({ ...valid, bed: { x: 250, y: 210 } }), 'printers[0].bed.z')
  assert.equal(bad({ ...valid, colour: 'red' }), 'printers[0].colour')
  assert.equal(bad({ ...valid, material: undefined }), 'printers[0].material')
  assert.equal(bad({ ...valid, port: 'virtual', virtual: { faults: ['silence:10'] } }), 'printers[0].virtual.faults[0]')
  assert.equal(bad({ ...valid, cancelGcode: 'M84' }), 'printers[0].cancelGcode')
})

test('--printer NAME=PATH[:BAUD] gives a printer with defaults', () => {
  const printer = parsePrinterFlag('mk3=/dev/ttyUSB0:250000')
  assert.equal(printer.name, 'mk3')
  assert.equal(printer.port, '/dev/ttyUSB0')
  assert.equal(printer.baud, 250000)
  assert.equal(parsePrinterFlag('demo=virtual').baud, 115200)
  assert.throws(() => parsePrinterFlag('mk3'), { name: 'ConfigError', field: '--printer' })
  assert.throws(() => parsePrinterFlag('mk3=/dev/ttyUSB0:1234'), { name: 'ConfigError' })
})

test('checkpoints survive a reopen of the LevelDB journal', async (t) => {
  const dir = await tempDir(t)
  const checkpoint: PrintCheckpoint = { printer: 'mk3', jobId: 'j1', gcodePath: '/x.gcode', status: 'printing', lastAckedLine: 120, byteOffset: 4000, z: 1.2, temperatures: { T: { actual: 214, target: 215 } }, time: 1 }
  const open = (): Level<string, PrintCheckpoint> => new Level<string, PrintCheckpoint>(join(dir, 'db'), { valueEncoding: 'json' })
  let db = open()
  const journal = (): LevelCheckpointJournal => new LevelCheckpointJournal(db.sublevel<string, PrintCheckpoint>('printer', { valueEncoding: 'json' }))
  await journal().write(checkpoint)
  await db.close()
  db = open()
  t.after(async () => { await db.close() })
  assert.deepEqual(await journal().read('mk3'), checkpoint)
  assert.equal(await journal().read('other'), undefined)
  await journal().clear('mk3')
  assert.equal(await journal().read('mk3'), undefined)
})
