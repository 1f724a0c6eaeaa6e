import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { assertRecordHolds, cliJson, gcodeCommands, peerArgs, readRecord, sampleGcode, waitForMesh, writePrinterConfig } from './printer-record.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { VirtualPrinterNode } from './printer-record.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** A foreground submit runs the whole print; bounded well above what a few hundred lines take. */
const PRINT_TIMEOUT_MS = 120_000

describe('a printer node prints what another peer submits', () => {
  let lan: Lan
  let printerNode: MeshNode
  let laptop: MeshNode
  let printer: VirtualPrinterNode
  const parts: Array<{ label: string, file: string, commands: string[] }> = []

  const part = (layers: number): { label: string, file: string, commands: string[] } => {
    const n = parts.length + 1
    const text = sampleGcode(layers, n)
    const made = { label: `part-${n}.gcode`, file: join(lan.dir, `part-${n}.gcode`), commands: gcodeCommands(text) }
    writeFileSync(made.file, text)
    parts.push(made)
    return made
  }

  const job = async (id: string): Promise<JobRecord> => cliJson<JobRecord>(lan, laptop, ['job', id])

  before(async () => {
    lan = await createLan(undefined, { size: 2 })
    // The bed does not clear itself: after each print an operator must say so.
    printer = writePrinterConfig(lan.dir, { name: 'mk3', material: 'PLA', bedClearsItself: false })
    ;[printerNode, laptop] = await lan.startAll((i) => ({
      name: i === 0 ? 'printer-pi' : 'laptop',
      args: [...(i === 0 ? ['--config', printer.configFile, '--offer', 'print'] : ['--offer', 'none']), ...peerArgs(lan, i)]
    }))
    await waitForMesh(lan, [printerNode, laptop])
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('submit part.gcode --pipeline print on the laptop: the virtual printer runs every command of the file once, in order', async () => {
    const first = part(12)
    const result = await lan.runCli(laptop, ['submit', first.file, '--pipeline', 'print', '--json'], PRINT_TIMEOUT_MS)
    assert.equal(result.code, 0, `submit exited ${String(result.code)}: ${result.stderr}`)
    const [done] = JSON.parse(result.stdout) as JobRecord[]
    assert.equal(done.state, 'done')
    assert.equal(done.stages.length, 1)
    assert.equal(done.stages[0].kind, 'print')
    assert.equal(done.stages[0].peerId, printerNode.peerId, 'the printer node printed it')
    assert.equal(done.stages[0].peerName, 'printer-pi')
    assertRecordHolds(readRecord(printer.recordFile), [first])

    const printers = await cliJson<Array<{ name: string, state: string, peerName: string }>>(lan, laptop, ['printers'])
    assert.deepEqual(printers.map(p => [p.peerName, p.name]), [['printer-pi', 'mk3']])
    await waitFor(async () => (await cliJson<Array<{ state: string }>>(lan, laptop, ['printers']))[0]?.state === 'bed-occupied',
      { timeoutMs: 10_000, what: 'the laptop to see mk3 as bed-occupied after the print' })
  })

  it('a printer loaded with PLA refuses a --material PETG print: the job fails and its bids name the material', async () => {
    const before = readRecord(printer.recordFile).length
    const petg = part(2)
    // The bed still holds the first part; the material is the reason that no operator can change by clearing it.
    const result = await lan.runCli(laptop, ['submit', petg.file, '--pipeline', 'print', '--material', 'PETG', '--json'], PRINT_TIMEOUT_MS)
    assert.equal(result.code, 1, `submit of a PETG print should fail: ${result.stdout.slice(-500)}`)
    const [submitted] = JSON.parse(result.stdout) as JobRecord[]
    const failed = await job(submitted.id)
    assert.equal(failed.state, 'failed')
    assert.equal(failed.stages[0].state, 'failed')
    const refusal = failed.stages[0].bids.find(b => b.peerId === printerNode.peerId)
    assert.ok(refusal !== undefined, `the printer node's bid is listed: ${JSON.stringify(failed.stages[0].bids)}`)
    assert.equal(refusal.accept, false)
    assert.match(refusal.reason, /PETG/, 'the refusal names the material the job needs')
    assert.match(refusal.reason, /PLA/, 'the refusal names the material that is loaded')
    assert.equal(readRecord(printer.recordFile).length, before, 'the printer ran nothing of the refused job')
  })

  it('the bed interlock: a second print waits, refused for the occupied bed, until "printer clear"; then it prints', async () => {
    const second = part(6)
    const before = readRecord(printer.recordFile)
    const detached = await lan.runCli(laptop, ['submit', second.file, '--pipeline', 'print', '--detach'])
    assert.equal(detached.code, 0, detached.stderr)
    const id = detached.stdout.trim()
    assert.match(id, /^j[0-9a-f]+$/)

    const waiting = await waitFor(async () => {
      const record = await job(id)
      assert.equal(record.state, 'running', `the job waits for the bed, it does not end: ${record.error ?? record.stages[0].error ?? ''}`)
      return record.stages[0].bids.find(b => b.peerId === printerNode.peerId && !b.accept && /bed/.test(b.reason)) !== undefined && record
    }, { timeoutMs: 15_000, intervalMs: 300, what: `job ${id} to show printer-pi's bid refused for the occupied bed`, failFast: (err) => err instanceof assert.AssertionError })
    assert.ok(['pending', 'bidding'].includes(waiting.stages[0].state), `the print has not been awarded: ${waiting.stages[0].state}`)
    assert.equal(waiting.stages[0].startedAt, undefined)
    assert.deepEqual(readRecord(printer.recordFile), before, 'the printer ran nothing while the bed held the first part')

    const cleared = await lan.runCli(printerNode, ['printer', 'clear', printer.printerName])
    assert.equal(cleared.code, 0, cleared.stderr)
    assert.equal(cleared.stdout.trim(), 'mk3: idle')

    const done = await waitFor(async () => {
      const record = await job(id)
      assert.notEqual(record.state, 'failed', `job ${id} failed: ${record.error ?? record.stages[0].error ?? ''}`)
      return record.state === 'done' && record
    }, { timeoutMs: PRINT_TIMEOUT_MS, intervalMs: 500, what: `job ${id} to print once the bed was cleared`, failFast: (err) => err instanceof assert.AssertionError })
    assert.equal(done.stages[0].peerId, printerNode.peerId)
    assertRecordHolds(readRecord(printer.recordFile), [parts[0], second])
  })
})
