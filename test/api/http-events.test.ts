import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parsePrinterFlag } from '../../src/printer/printer-config.js'
import { startPeer, stopPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl } from './http-fixture.js'
import { SseReader } from './sse-reader.js'

test('the event stream tells peers joining and leaving; a bad Last-Event-ID is a 400 naming the header', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-events-')
  const desk = await startPeer(t, dir, 'desk')
  const api = httpUrl(desk) + '/api/v1'
  const live = await SseReader.open(`${api}/events`)
  t.after(() => { live.close() })

  const visitor = await startPeer(t, dir, 'visitor')
  const visitorId = visitor.libp2p.peerId.toString()
  await desk.libp2p.dial(visitor.libp2p.getMultiaddrs()[0])
  const joined = await live.until(e => e.type === 'peer' && e.data.peerId === visitorId, 15_000)
  assert.deepEqual([joined.data.change, joined.data.name], ['joined', 'visitor'])
  await stopPeer(visitor)
  const left = await live.until(e => e.type === 'peer' && e.data.peerId === visitorId && e.data.change === 'left', 30_000)
  assert.ok(left.id > joined.id)

  const bad = await fetch(`${api}/events`, { headers: { 'last-event-id': 'yesterday' } })
  assert.equal(bad.status, 400)
  assert.equal(((await bad.json()) as { field: string }).field, 'Last-Event-ID')
})

test('the event stream tells a printer\'s state with its temperatures as a job prints on it', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-printer-events-')
  const bench = await startPeer(t, dir, 'bench', c => { c.printers = [parsePrinterFlag('mk3=virtual')] })
  const api = httpUrl(bench) + '/api/v1'
  const live = await SseReader.open(`${api}/events`)
  t.after(() => { live.close() })
  const gcode = join(dir, 'square.gcode')
  await writeFile(gcode, 'G28\nM104 S200\nG1 X10 Y10 F3000\nG1 X20 Y10\nG1 X20 Y20\nG1 X10 Y20\nM104 S0\n')
  const form = new FormData()
  form.set('file', new Blob([await readFile(gcode)]), 'square.gcode')
  form.set('pipeline', 'print')
  form.set('printer', 'mk3')
  const submitted = await fetch(`${api}/jobs`, { method: 'POST', body: form })
  assert.equal(submitted.status, 201, await submitted.clone().text())
  const [job] = await submitted.json() as Array<{ id: string }>
  const printing = await live.until(e => e.type === 'printer' && e.data.name === 'mk3' && e.data.state === 'printing', 30_000)
  assert.ok(printing.data.temperatures != null, 'a printer event carries the temperatures')
  const ended = await live.until(e => e.type === 'job' && e.data.jobId === job.id && e.data.state !== 'running', 60_000)
  assert.equal(ended.data.state, 'done')
  const after = live.events.filter(e => e.type === 'printer' && e.id > printing.id).map(e => e.data.state)
  assert.ok(after.some(state => state !== 'printing'), `the printer leaves "printing": ${after.join(', ')}`)
})
