import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { meshnodeBin, packageRoot } from '../../src/paths.js'
import { waitFor } from '../lan/wait.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, makeToken, request } from './http-fixture.js'
import { SseReader, type SseEvent } from './sse-reader.js'

const run = promisify(execFile)
const JOB_TIMEOUT_MS = 120_000

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/**
 * Three peers on loopback: a desk that offers nothing (its HTTP API is what a phone or a script talks to), a
 * renderer (OpenSCAD) and a slicer. A design goes in with curl -F, its G-code comes out over HTTP, and the
 * desk's event stream tells the story as it happens.
 */
test('HTTP on a three-peer mesh: upload with curl, live stage events, download and resume', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-mesh-')
  const desk = await startPeer(t, dir, 'desk', c => { c.offers = [] })
  const renderer = await startPeer(t, dir, 'renderer', c => { c.offers = ['scad'] })
  const slicer = await startPeer(t, dir, 'slicer', c => { c.offers = ['slice'] })
  for (const peer of [renderer, slicer]) await desk.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  // The slicer pulls the STL straight from the renderer.
  await slicer.libp2p.dial(renderer.libp2p.getMultiaddrs()[0])
  await waitFor(async () => {
    const offers = desk.capabilities.peers().flatMap(p => p.record.offers)
    return offers.includes('scad') && offers.includes('slice') ? true : undefined
  }, { timeoutMs: 15_000, what: 'the desk to see a renderer and a slicer' })

  const token = await makeToken(t, desk, 'phone', 'submit')
  const auth = { authorization: `Bearer ${token}` }
  const api = httpUrl(desk) + '/api/v1'
  const live = await SseReader.open(`${api}/events`, auth)
  t.after(() => { live.close() })
  assert.equal(live.status, 200)

  const { stdout } = await run('curl', ['-sS', '--max-time', '30', '-H', `Authorization: Bearer ${token}`,
    '-F', `file=@${join(packageRoot(), 'examples', 'bracket.scad')}`, '-F', 'pipeline=scad,slice', '-F', 'D=width=30', `${api}/jobs`])
  const [submitted] = JSON.parse(stdout)
  assert.match(submitted.id, /^j[0-9a-f]{12}$/, stdout)
  assert.deepEqual(submitted.options.params, { width: '30' })
  assert.deepEqual(submitted.stages.map((s: any) => s.kind), ['scad', 'slice'])

  const ended = await live.until(e => e.type === 'job' && e.data.jobId === submitted.id && e.data.state !== 'running', JOB_TIMEOUT_MS)
  assert.equal(ended.data.state, 'done', JSON.stringify(ended))

  await t.test('the stream tells the job\'s stages in order, each event with a growing id', () => {
    const mine = live.events.filter(e => e.data.jobId === submitted.id)
    assert.deepEqual(mine.map(e => e.id), [...mine.map(e => e.id)].sort((a, b) => a - b))
    const stageStates = (index: number): string[] => mine.filter(e => e.type === 'stage' && e.data.index === index).map(e => e.data.state)
    for (const index of [0, 1]) assert.equal(stageStates(index).at(-1), 'done', `stage ${index}: ${stageStates(index).join(' -> ')}`)
    assert.ok(stageStates(0).includes('running') && stageStates(1).includes('running'))
    const renderDone = mine.findIndex(e => e.type === 'stage' && e.data.index === 0 && e.data.state === 'done')
    const sliceRuns = mine.findIndex(e => e.type === 'stage' && e.data.index === 1 && e.data.state === 'running')
    assert.ok(renderDone < sliceRuns, 'the slice runs after the render is done')
  })

  await t.test('a client that reconnects with Last-Event-ID gets exactly the events it missed', async () => {
    const seen = [...live.events]
    const cut = seen[Math.floor(seen.length / 2)].id
    const again = await SseReader.open(`${api}/events`, { ...auth, 'last-event-id': String(cut) })
    try {
      const last = seen.at(-1) as SseEvent
      await again.until(e => e.id === last.id, 10_000)
      assert.deepEqual(again.events.filter(e => e.id <= last.id), seen.filter(e => e.id > cut))
    } finally {
      again.close()
    }
  })

  const { stdout: viewed } = await run(process.execPath, [meshnodeBin, 'job', submitted.id, '--json', '--data-dir', desk.config.dataDir])
  const gcode = JSON.parse(viewed).stages[1].output
  assert.match(gcode.name, /\.gcode$/)

  await t.test('the G-code downloads with the sha256 the CLI shows, as ETag and content', async () => {
    const response = await fetch(`${api}/jobs/${submitted.id}/output`, { headers: auth })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('etag'), `"${gcode.hash as string}"`)
    assert.equal(Number(response.headers.get('content-length')), gcode.size)
    assert.equal(sha256(new Uint8Array(await response.arrayBuffer())), gcode.hash)
    const rendered = await request(`${api}/jobs/${submitted.id}/output?stage=0`, { token })
    assert.equal(rendered.status, 200)
    assert.match(String(rendered.body), /^solid /, 'stage 0 is the STL')
  })

  await t.test('a download cut halfway resumes with Range (curl -C -)', async () => {
    const half = Math.floor(gcode.size / 2)
    const abort = new AbortController()
    const response = await fetch(`${api}/jobs/${submitted.id}/output`, { headers: auth, signal: abort.signal })
    const got: Uint8Array[] = []
    let bytes = 0
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      got.push(chunk)
      bytes += chunk.byteLength
      if (bytes >= half) break
    }
    abort.abort()
    const file = join(dir, 'resumed.gcode')
    await writeFile(file, Buffer.concat(got).subarray(0, half))
    const resumed = await run('curl', ['-sS', '--max-time', '30', '-H', `Authorization: Bearer ${token}`, '-C', '-', '-o', file, '-w', '%{http_code}', `${api}/jobs/${submitted.id}/output`])
    assert.equal(resumed.stdout, '206')
    assert.equal(sha256(await readFile(file)), gcode.hash)

    const past = await request(`${api}/jobs/${submitted.id}/output`, { token, headers: { range: `bytes=${gcode.size as number}-` } })
    assert.equal(past.status, 416)
    assert.equal(past.headers.get('content-range'), `bytes */${gcode.size as number}`)
  })
})
