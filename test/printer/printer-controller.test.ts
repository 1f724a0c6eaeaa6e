import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'
import { printerRefusal } from '../../src/printer/printer-refusal.js'
import { controllerRig, PLA_PRINTER, until } from './controller-fixture.js'
import { fileCommands, recordedCommands, tempDir, writeGcodeFile } from './fixtures.js'

test('a PLA printer refuses a PETG print, with the reason', () => {
  assert.equal(printerRefusal(PLA_PRINTER, { material: 'PETG' }), 'loaded material is PLA, job needs PETG')
  assert.equal(printerRefusal(PLA_PRINTER, { material: 'pla', nozzleMm: 0.4, bedMm: { x: 100, y: 100, z: 50 } }), null)
  assert.equal(printerRefusal(PLA_PRINTER, { nozzleMm: 0.6 }), 'nozzle is 0.4 mm, job needs 0.6 mm')
  assert.match(printerRefusal(PLA_PRINTER, { bedMm: { x: 300, y: 100, z: 50 } }) ?? '', /build volume is 250x210x210 mm/)
})

test('the bed interlock holds between two prints until clearBed()', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  await writeGcodeFile(gcode, 200)
  const { controller } = await controllerRig(t, dir, { baud: 1_000_000 })
  await controller.start()
  await until('the printer is online', () => controller.state === 'idle')
  assert.equal(controller.refusal({ material: 'PETG' }), 'loaded material is PLA, job needs PETG')

  const first = await controller.print('job-1', gcode)
  assert.equal(first.status, 'finished')
  assert.equal(controller.state, 'bed-occupied')
  assert.match(controller.refusal({ material: 'PLA' }) ?? '', /holds the part of job job-1/)
  await assert.rejects(controller.print('job-2', gcode), { name: 'PrinterNotReadyError' })

  await controller.clearBed()
  assert.equal(controller.state, 'idle')
  assert.equal(controller.refusal({ material: 'PLA' }), null)
  assert.equal((await controller.print('job-2', gcode)).status, 'finished')
  assert.equal(controller.state, 'bed-occupied')
})

test('a printer whose bed clears itself is idle again after a print', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  await writeGcodeFile(gcode, 50)
  const { controller, journal } = await controllerRig(t, dir, { baud: 1_000_000 }, { bedClearsItself: true })
  await controller.start()
  await until('the printer is online', () => controller.state === 'idle')
  assert.equal((await controller.print('job-1', gcode)).status, 'finished')
  assert.equal(controller.state, 'idle')
  assert.equal(await journal.read('mk3'), undefined)
})

test('a disconnect mid-print ends interrupted, nothing is resent by itself, and resume from line N finishes the part', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 1000)
  const { controller, printer, journal } = await controllerRig(t, dir, { baud: 1_000_000, recordFile: record, faults: [parseFaultSpec('disconnect:500')] })
  await controller.start()
  await until('the printer is online', () => controller.state === 'idle')

  const end = await controller.print('job-1', gcode, { preamble: ['M104 S215', 'M140 S60'] })
  assert.equal(end.status, 'interrupted')
  assert.match(end.reason ?? '', /disconnected at line 500/)
  assert.equal(controller.state, 'interrupted')
  const checkpoint = await journal.read('mk3')
  assert.equal(checkpoint?.status, 'interrupted')
  assert.equal(checkpoint?.jobId, 'job-1')

  await until('the printer is back online', () => controller.online)
  const acceptedBeforeResume = printer.accepted
  assert.equal(controller.state, 'interrupted')
  await assert.rejects(controller.print('job-2', gcode), { name: 'PrinterNotReadyError' })
  assert.equal(printer.accepted, acceptedBeforeResume, 'nothing was sent while the print waited for an operator')

  const fromLine = (checkpoint?.lastAckedLine ?? 0) + 1
  const resumed = await controller.resume('job-1', fromLine)
  assert.equal(resumed.status, 'finished')
  assert.equal(controller.state, 'bed-occupied')
  await controller.stop()
  await printer.close()

  const commands = await fileCommands(gcode)
  assert.deepEqual(await recordedCommands(record), [
    'M104 S215', 'M140 S60',
    ...commands.slice(0, 497),
    'M104 S215', 'M140 S60', 'M109 S215', 'M190 S60',
    ...await fileCommands(gcode, fromLine)
  ])
  // N500 was the 498th command, after two preamble lines. Answers in flight when the link dropped are lost, so
  // the checkpoint may lag what the printer ran, never lead it: a resume repeats a few moves, never skips one.
  const resumedAt = commands.indexOf((await fileCommands(gcode, fromLine))[0])
  assert.ok(resumedAt <= 497 && resumedAt > 490, `resumed at command ${resumedAt}`)
})

test('a print in progress in the journal at start-up is marked interrupted and not restarted', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 100)
  const { controller, printer, journal } = await controllerRig(t, dir, { recordFile: record })
  await journal.write({ printer: 'mk3', jobId: 'job-9', gcodePath: gcode, status: 'printing', lastAckedLine: 40, byteOffset: 900, z: 0.6, temperatures: { T: { actual: 215, target: 215 } }, time: Date.now() })

  await controller.start()
  assert.equal(controller.state, 'interrupted')
  assert.equal((await journal.read('mk3'))?.status, 'interrupted')
  await until('the printer is online', () => controller.online)
  assert.match(controller.refusal({}) ?? '', /interrupted print of job job-9/)
  await assert.rejects(controller.print('job-10', gcode), { name: 'PrinterNotReadyError' })
  await controller.stop()
  await printer.close()
  assert.deepEqual(await recordedCommands(record), [], 'no G-code was sent on its own')
})

test('pause parks the head and holds; resume continues; cancel runs the cancel G-code', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 3000)
  const { controller, printer } = await controllerRig(t, dir, { baud: 115200, recordFile: record }, {
    parkGcode: ['G91', 'G1 Z5', 'G90'],
    resumeGcode: ['G91', 'G1 Z-5', 'G90'],
    cancelGcode: ['M104 S0', 'M140 S0', 'M106 S0', 'M84']
  })
  await controller.start()
  await until('the printer is online', () => controller.state === 'idle')
  let acked = 0
  controller.on('printer:progress', (_job, progress) => { acked = progress.linesAcked })
  const printing = controller.print('job-1', gcode)

  await until('some lines are printed', () => acked >= 100)
  await controller.pause()
  assert.equal(controller.state, 'paused')
  const whilePaused = printer.accepted
  await until('the pause has held for a while', () => controller.status().state === 'paused' && printer.accepted === whilePaused, 300)
  await controller.resumePaused()
  assert.equal(controller.state, 'printing')
  await until('more lines are printed', () => acked >= 600)
  controller.cancel()
  const end = await printing
  assert.equal(end.status, 'cancelled')
  assert.equal(controller.state, 'bed-occupied')
  await controller.stop()
  await printer.close()

  const recorded = await recordedCommands(record)
  const commands = await fileCommands(gcode)
  const park = recorded.indexOf('G1 Z5')
  assert.deepEqual(recorded.slice(park - 1, park + 5), ['G91', 'G1 Z5', 'G90', 'G91', 'G1 Z-5', 'G90'])
  assert.deepEqual(recorded.slice(0, park - 1), commands.slice(0, park - 1), 'the file up to the pause, in order')
  assert.deepEqual(recorded.slice(-4), ['M104 S0', 'M140 S0', 'M106 S0', 'M84'])
  const printed = recorded.slice(park + 5, -4)
  assert.deepEqual(printed, commands.slice(park - 1, park - 1 + printed.length), 'the file resumed where it paused')
  assert.ok(printed.length + park - 1 < commands.length, 'the cancel stopped the file early')
})
