import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { assertRecordHolds, gcodeCommands, readRecord, sampleGcode } from '../e2e/print/printer-record.js'
import { makeToken, request } from '../api/http-fixture.js'
import { waitFor } from '../lan/wait.js'
import { tempDir } from '../market/mesh-fixture.js'
import { curl, octoprintUrl, startGatewayPeer, startPrinterPeer } from './octoprint-fixture.js'

const PRINT_TIMEOUT_MS = 120_000

/**
 * A desk peer serves OctoPrint's API; a second peer has a virtual printer. What PrusaSlicer's "Send to printer"
 * sends (multipart `file` with `print=true`, the key in X-Api-Key) becomes a mesh job that the virtual printer
 * runs to the end, and the key's client watches it through GET /api/job and GET /api/printer.
 */
test('OctoPrint gateway: a slicer\'s upload with print=true is printed by the mesh', async (t) => {
  const dir = await tempDir(t, 'meshnode-octoprint-')
  const desk = await startGatewayPeer(t, dir, { slicer: { printer: 'mk3' } })
  const { node: printerPeer, recordFile } = await startPrinterPeer(t, dir)
  await desk.libp2p.dial(printerPeer.libp2p.getMultiaddrs()[0])
  await waitFor(async () => desk.capabilities.peers().some(p => p.record.printers.some(pr => pr.name === 'mk3' && pr.state === 'idle')),
    { timeoutMs: 20_000, what: 'the desk to see printer mk3 idle' })
  const key = await makeToken(t, desk, 'slicer', 'submit')
  const readKey = await makeToken(t, desk, 'phone', 'read')
  const base = octoprintUrl(desk)
  const asKey = (k: string): RequestInit => ({ headers: { 'x-api-key': k } })

  await t.test('"Test connection": GET /api/version and /api/server answer as OctoPrint', async () => {
    const version = await request(`${base}/api/version`, asKey(key))
    assert.equal(version.status, 200)
    assert.match(version.body.text, /^OctoPrint /)
    assert.equal(typeof version.body.api, 'string')
    const server = await request(`${base}/api/server`, asKey(key))
    assert.equal(server.status, 200)
    assert.match(server.body.version, /^\d+\.\d+\.\d+$/)
  })

  await t.test('a wrong or missing key gets 401 with OctoPrint\'s error body', async () => {
    for (const init of [asKey('mnt_not-a-token'), asKey('abcdef0123456789'), {}]) {
      const answer = await request(`${base}/api/version`, init)
      assert.equal(answer.status, 401)
      assert.equal(typeof answer.body.error, 'string')
    }
  })

  const text = sampleGcode(6, 1)
  const gcodeFile = join(dir, 'part-1.gcode')
  await writeFile(gcodeFile, text)

  await t.test('a read-only key gets 403 on upload, and nothing is kept', async () => {
    const answer = await curl(dir, ['-H', `X-Api-Key: ${readKey}`, '-F', 'print=true', '-F', `file=@${gcodeFile}`, `${base}/api/files/local`])
    assert.equal(answer.status, 403, JSON.stringify(answer.body))
    assert.match(answer.body.error, /phone/)
    const files = await request(`${base}/api/files`, asKey(readKey))
    assert.deepEqual(files.body.files, [])
  })

  await t.test('curl -F file=@part.gcode -F print=true: 201 with a Location; the virtual printer runs every command', async () => {
    const answer = await curl(dir, ['-H', `X-Api-Key: ${key}`, '-F', 'print=true', '-F', 'path=', '-F', `file=@${gcodeFile}`, `${base}/api/files/local`])
    assert.equal(answer.status, 201, JSON.stringify(answer.body))
    assert.match(answer.headers, /^location: http:\/\/127\.0\.0\.1:\d+\/api\/files\/local\/part-1\.gcode\r?$/mi)
    assert.equal(answer.body.files.local.name, 'part-1.gcode')
    assert.equal(answer.body.files.local.origin, 'local')
    assert.equal(answer.body.effectivePrint, true)
    assert.equal(answer.body.done, true)

    const job = await waitFor(async () => {
      const current = await request(`${base}/api/job`, asKey(key))
      return current.body.state === 'Operational' && current.body.progress.completion === 100 ? current.body : undefined
    }, { timeoutMs: PRINT_TIMEOUT_MS, intervalMs: 500, what: 'GET /api/job to show the print done' })
    assert.equal(job.job.file.name, 'part-1.gcode')
    assert.equal(job.job.file.size, Buffer.byteLength(text))
    assert.equal(job.job.user, 'slicer')
    assert.equal(job.progress.printTimeLeft, 0)
    assert.ok(job.progress.printTime >= 0)
    assertRecordHolds(readRecord(recordFile), [{ label: 'part-1.gcode', commands: gcodeCommands(text) }])

    const jobs = await desk.jobStore.list()
    assert.deepEqual(jobs.map(j => [j.input.name, j.state, j.stages.map(s => s.kind).join(','), j.options.printer]), [['part-1.gcode', 'done', 'print', 'mk3']],
      'the upload is an ordinary mesh job of the desk, narrowed to the key\'s printer')
  })

  await t.test('GET /api/printer answers for the key\'s printer in OctoPrint\'s shape', async () => {
    const printer = await request(`${base}/api/printer`, asKey(key))
    assert.equal(printer.status, 200, JSON.stringify(printer.body))
    assert.equal(printer.body.state.flags.operational, true)
    assert.equal(printer.body.state.flags.printing, false)
    assert.equal(typeof printer.body.state.text, 'string')
    assert.equal(typeof printer.body.temperature.tool0.actual, 'number')
    assert.equal(typeof printer.body.temperature.bed.actual, 'number')
  })

  await t.test('an upload without print is kept, listed, and printed later by the select command', async () => {
    const later = sampleGcode(3, 2)
    const laterFile = join(dir, 'part-2.gcode')
    await writeFile(laterFile, later)
    const kept = await curl(dir, ['-H', `X-Api-Key: ${key}`, '-F', 'select=false', '-F', `file=@${laterFile}`, `${base}/api/files/local`])
    assert.equal(kept.status, 201, JSON.stringify(kept.body))
    assert.equal(kept.body.effectivePrint, false)
    assert.equal((await desk.jobStore.list()).length, 1, 'a kept file is no job')
    const files = await request(`${base}/api/files/local`, asKey(key))
    assert.deepEqual(files.body.files.map((f: any) => [f.name, f.type]).sort(), [['part-1.gcode', 'machinecode'], ['part-2.gcode', 'machinecode']])

    const selected = await request(`${base}/api/files/local/part-2.gcode`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'select', print: true }) })
    assert.equal(selected.status, 204, JSON.stringify(selected.body))
    await waitFor(async () => {
      const current = await request(`${base}/api/job`, asKey(key))
      return current.body.job.file.name === 'part-2.gcode' && current.body.progress.completion === 100 ? current.body : undefined
    }, { timeoutMs: PRINT_TIMEOUT_MS, intervalMs: 500, what: 'GET /api/job to show the kept file printed' })
    assertRecordHolds(readRecord(recordFile), [{ label: 'part-1.gcode', commands: gcodeCommands(text) }, { label: 'part-2.gcode', commands: gcodeCommands(later) }])

    const missing = await request(`${base}/api/files/local/nothing.gcode`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'select', print: true }) })
    assert.equal(missing.status, 404)
    assert.equal(typeof missing.body.error, 'string')
  })

  await t.test('a key whose printer the mesh lacks gets 409 on print, as OctoPrint does for a printer not operational', async () => {
    const ghost = await makeToken(t, desk, 'ghost', 'submit')
    desk.config.gateways.octoprint = { listen: '127.0.0.1:0', keys: { ...desk.config.gateways.octoprint?.keys, ghost: { printer: 'nowhere' } } }
    const answer = await curl(dir, ['-H', `X-Api-Key: ${ghost}`, '-F', 'print=true', '-F', `file=@${gcodeFile}`, `${base}/api/files/local`])
    assert.equal(answer.status, 409, JSON.stringify(answer.body))
    assert.match(answer.body.error, /nowhere/)
    const printer = await request(`${base}/api/printer`, asKey(ghost))
    assert.equal(printer.status, 409)
  })
})
