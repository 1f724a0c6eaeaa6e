import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { GcodeSender } from '../../src/printer/gcode-sender.js'
import { openSerialTransport } from '../../src/printer/serial-transport.js'
import type { PrinterTransport } from '../../src/printer/transport.js'
import { connectInProcess } from '../../src/printer/virtual/in-process-link.js'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'
import { servePrinterOnPty } from '../../src/printer/virtual/pty-link.js'
import { VirtualPrinter } from '../../src/printer/virtual/virtual-printer.js'
import { fileCommands, recordedCommands, socatMissing, tempDir, writeGcodeFile } from './fixtures.js'

const FAULTS = ['resend:0.05', 'checksum:1200', 'no-line-number:3000', 'silence:5000:3']
const LINE_RATE_BAUD = 1_000_000
const BUFFER_SIZE = 4

test('10,000 lines through 5% resends, a checksum mismatch, a lost line number and a 3 s silence arrive exactly once, in order (in-process)', async (t) => {
  await printsExactlyOnce(t, async (printer) => connectInProcess(printer))
})

test('the same, over a real PTY pair made by socat', { skip: socatMissing }, async (t) => {
  const dir = await tempDir(t)
  await printsExactlyOnce(t, async (printer) => {
    const pty = await servePrinterOnPty(printer, join(dir, 'ttyVIRTUAL'))
    t.after(async () => { await pty.close() })
    return await openSerialTransport(pty.path, LINE_RATE_BAUD)
  })
})

async function printsExactlyOnce (t: TestContext, link: (printer: VirtualPrinter) => Promise<PrinterTransport>): Promise<void> {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 10_000)
  const printer = new VirtualPrinter({
    baud: LINE_RATE_BAUD,
    speedUp: 100,
    seed: 7,
    bufferSize: BUFFER_SIZE,
    recordFile: record,
    faults: FAULTS.map(parseFaultSpec)
  })
  const sender = new GcodeSender(await link(printer), { bannerTimeoutMs: 1000, probeMs: 2000 })
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
  assert.ok(printer.peakBuffered <= BUFFER_SIZE, `the printer held ${printer.peakBuffered} commands, its buffer holds ${BUFFER_SIZE}`)
}

test('with ADVANCED_OK the sender fills the firmware\'s command buffer and never overfills it', async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 300)
  const printer = new VirtualPrinter({ baud: 115200, speedUp: 100, bufferSize: BUFFER_SIZE, recordFile: record })
  const sender = new GcodeSender(connectInProcess(printer), { bannerTimeoutMs: 1000, maxInFlight: 8 })
  t.after(async () => { await sender.close(); await printer.close() })

  await sender.connect()
  await sender.print(gcode)
  await sender.close()
  await printer.close()

  assert.equal(printer.peakBuffered, BUFFER_SIZE)
  assert.deepEqual(await recordedCommands(record), await fileCommands(gcode))
})
