import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { GcodeSender } from '../../src/printer/gcode-sender.js'
import { connectInProcess } from '../../src/printer/virtual/in-process-link.js'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'
import { VirtualPrinter } from '../../src/printer/virtual/virtual-printer.js'
import { fileCommands, recordedCommands, tempDir, writeGcodeFile } from './fixtures.js'

test('10,000 lines through 5% resends, a checksum mismatch, a lost line number and a 3 s silence arrive exactly once, in order', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 10_000)
  const printer = new VirtualPrinter({
    baud: 1_000_000,
    speedUp: 100,
    seed: 7,
    recordFile: record,
    faults: ['resend:0.05', 'checksum:1200', 'no-line-number:3000', 'silence:5000:3'].map(parseFaultSpec)
  })
  const sender = new GcodeSender(connectInProcess(printer), { bannerTimeoutMs: 1000, probeMs: 2000 })
  t.after(async () => { await sender.close(); await printer.close() })

  const firmware = await sender.connect()
  assert.equal(firmware.capabilities.ADVANCED_OK, true)
  const outcome = await sender.print(gcode)
  await sender.close()
  await printer.close()

  assert.equal(outcome.status, 'finished')
  assert.equal(outcome.progress.linesAcked, 10_000)
  assert.equal(outcome.progress.linesTotal, 10_000)
  assert.deepEqual(await recordedCommands(record), await fileCommands(gcode))
})
