import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { GcodeSender, type GcodeSenderOptions } from '../../src/printer/gcode-sender.js'
import { LineLedger } from '../../src/printer/line-ledger.js'
import { connectInProcess } from '../../src/printer/virtual/in-process-link.js'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'
import { VirtualPrinter } from '../../src/printer/virtual/virtual-printer.js'
import { tempDir, writeGcodeFile } from './fixtures.js'

async function connected (t: TestContext, faults: string[], options: GcodeSenderOptions = {}): Promise<GcodeSender> {
  const printer = new VirtualPrinter({ baud: 1_000_000, speedUp: 1000, faults: faults.map(parseFaultSpec) })
  const sender = new GcodeSender(connectInProcess(printer), { bannerTimeoutMs: 100, ...options })
  t.after(async () => { await sender.close(); await printer.close() })
  await sender.connect()
  return sender
}

test('resend requests drawn by lines already in flight are ignored, not answered with a storm', () => {
  const ledger = new LineLedger<string>()
  for (const command of ['G1 X1', 'G1 X2', 'G1 X3']) ledger.sendNumbered(command)
  assert.equal(ledger.resend(1), 'rewound')
  ledger.ok()
  assert.equal(ledger.resend(1), 'stale')
  ledger.ok()
  assert.equal(ledger.resend(1), 'stale')
  ledger.ok()
  assert.deepEqual(ledger.pendingResend(), { lineNumber: 1, command: 'G1 X1', meta: undefined })
})

test('a line the printer keeps rejecting stops the print with TooManyResendsError', async (t) => {
  const dir = await tempDir(t)
  await writeGcodeFile(join(dir, 'a.gcode'), 20)
  const sender = await connected(t, ['resend:1'])
  await assert.rejects(sender.print(join(dir, 'a.gcode')), { name: 'TooManyResendsError', message: /line 1 10 times/ })
})

test('a printer that stays silent fails the print with CommunicationTimeoutError', async (t) => {
  const dir = await tempDir(t)
  await writeGcodeFile(join(dir, 'a.gcode'), 20)
  const sender = await connected(t, ['silence:5:30'], { probeMs: 300, timeoutMs: 1500 })
  await assert.rejects(sender.print(join(dir, 'a.gcode')), { name: 'CommunicationTimeoutError', message: /communication timeout/ })
})

test('a firmware error halts the print with the firmware\'s message', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'a.gcode'), 'G28\nG1 X5\nM112 ; emergency stop\nG1 X10\n')
  const sender = await connected(t, [])
  await assert.rejects(sender.print(join(dir, 'a.gcode')), { name: 'FirmwareError', message: /Printer halted\. kill\(\) called!/ })
})

test('a heat-up that outlasts the timeout is not mistaken for silence, and its temperatures are reported', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'a.gcode'), 'M109 S200\nG1 X1\n')
  const printer = new VirtualPrinter({ baud: 1_000_000, speedUp: 40 })
  const sender = new GcodeSender(connectInProcess(printer), { bannerTimeoutMs: 100, probeMs: 300, timeoutMs: 1000 })
  t.after(async () => { await sender.close(); await printer.close() })
  await sender.connect()
  const outcome = await sender.print(join(dir, 'a.gcode'))
  assert.equal(outcome.status, 'finished')
  assert.equal(outcome.progress.temperatures.T?.target, 200)
  assert.ok((outcome.progress.temperatures.T?.actual ?? 0) > 150, 'the hotend was reported heating')
})
