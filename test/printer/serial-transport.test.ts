import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { GcodeSender } from '../../src/printer/gcode-sender.js'
import { openSerialTransport } from '../../src/printer/serial-transport.js'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'
import { servePrinterOnPty, type VirtualPrinterPty } from '../../src/printer/virtual/pty-link.js'
import { VirtualPrinter, type VirtualPrinterOptions } from '../../src/printer/virtual/virtual-printer.js'
import { fileCommands, recordedCommands, socatMissing, tempDir, writeGcodeFile } from './fixtures.js'

const BAUD = 1_000_000

async function printerOnPty (t: TestContext, dir: string, options: VirtualPrinterOptions = {}): Promise<VirtualPrinterPty> {
  const printer = new VirtualPrinter({ baud: BAUD, speedUp: 100, ...options })
  const pty = await servePrinterOnPty(printer, join(dir, 'ttyVIRTUAL'))
  t.after(async () => { await pty.close(); await printer.close() })
  return pty
}

test('a printer that drops off the PTY mid-print stops the print with PrinterDisconnectedError naming the device; nothing after the drop ran', { skip: socatMissing }, async (t) => {
  const dir = await tempDir(t)
  const gcode = join(dir, 'part.gcode')
  const record = join(dir, 'record.txt')
  await writeGcodeFile(gcode, 1000)
  const pty = await printerOnPty(t, dir, { recordFile: record, faults: [parseFaultSpec('disconnect:600')] })
  const transport = await openSerialTransport(pty.path, BAUD)
  const closedFor = new Promise<string>((resolve) => { transport.onClose(resolve) })
  const sender = new GcodeSender(transport, { bannerTimeoutMs: 1000 })
  t.after(async () => { await sender.close() })

  await sender.connect()
  await assert.rejects(sender.print(gcode), { name: 'PrinterDisconnectedError', message: new RegExp(pty.path) })
  assert.match(await closedFor, new RegExp(`^${pty.path}: `), 'the reason names the device and what happened to it')
  assert.equal(transport.isOpen, false)
  await pty.gone
  assert.deepEqual(await recordedCommands(record), (await fileCommands(gcode)).slice(0, 599))
})

test('a printer in use is refused to a second host and still answers the first; close() reports the link closed by this host', { skip: socatMissing }, async (t) => {
  const dir = await tempDir(t)
  const pty = await printerOnPty(t, dir)
  const transport = await openSerialTransport(pty.path, BAUD)
  const closedFor = new Promise<string>((resolve) => { transport.onClose(resolve) })
  t.after(async () => { await transport.close() })

  await assert.rejects(openSerialTransport(pty.path, BAUD), { name: 'PrinterDisconnectedError', message: /cannot open .*lock/i })
  const answer = new Promise<void>((resolve) => {
    let received = ''
    transport.onData((chunk) => {
      received += chunk
      if (/^ok/m.test(received)) resolve()
    })
  })
  transport.write('M105\n')
  await answer

  await transport.close()
  assert.equal(transport.isOpen, false)
  assert.equal(await closedFor, `${pty.path} closed`)
})
