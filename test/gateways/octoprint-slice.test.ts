import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeToken, request } from '../api/http-fixture.js'
import { readRecord } from '../e2e/print/printer-record.js'
import { waitFor } from '../lan/wait.js'
import { tempDir } from '../market/mesh-fixture.js'
import { curl, octoprintUrl, startGatewayPeer, startPrinterPeer } from './octoprint-fixture.js'

/** Slicing and printing a small cube on a loaded 2-core machine: bounded, with room. */
const JOB_TIMEOUT_MS = 240_000

/** An ASCII STL of a cube `size` mm on a side, standing on the bed. */
function cubeStl (size: number): string {
  const v = (x: number, y: number, z: number): string => `vertex ${x * size} ${y * size} ${z * size}`
  const faces: Array<[number[], number[][]]> = [
    [[0, 0, -1], [[0, 0, 0], [0, 1, 0], [1, 1, 0]]], [[0, 0, -1], [[0, 0, 0], [1, 1, 0], [1, 0, 0]]],
    [[0, 0, 1], [[0, 0, 1], [1, 0, 1], [1, 1, 1]]], [[0, 0, 1], [[0, 0, 1], [1, 1, 1], [0, 1, 1]]],
    [[0, -1, 0], [[0, 0, 0], [1, 0, 0], [1, 0, 1]]], [[0, -1, 0], [[0, 0, 0], [1, 0, 1], [0, 0, 1]]],
    [[0, 1, 0], [[0, 1, 0], [0, 1, 1], [1, 1, 1]]], [[0, 1, 0], [[0, 1, 0], [1, 1, 1], [1, 1, 0]]],
    [[-1, 0, 0], [[0, 0, 0], [0, 0, 1], [0, 1, 1]]], [[-1, 0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 0]]],
    [[1, 0, 0], [[1, 0, 0], [1, 1, 0], [1, 1, 1]]], [[1, 0, 0], [[1, 0, 0], [1, 1, 1], [1, 0, 1]]]
  ]
  const facets = faces.map(([n, vs]) => `facet normal ${n.join(' ')}\n outer loop\n${vs.map(p => `  ${v(p[0], p[1], p[2])}`).join('\n')}\n endloop\nendfacet`)
  return `solid cube\n${facets.join('\n')}\nendsolid cube\n`
}

test('OctoPrint gateway: an STL uploaded with print=true is sliced by the mesh, then printed', async (t) => {
  const dir = await tempDir(t, 'meshnode-octoprint-slice-')
  const desk = await startGatewayPeer(t, dir)
  const { node: workshop, recordFile } = await startPrinterPeer(t, dir, 'mk3', ['print', 'slice'])
  await desk.libp2p.dial(workshop.libp2p.getMultiaddrs()[0])
  await waitFor(async () => desk.capabilities.peers().some(p => p.record.offers.includes('slice') && p.record.printers.some(pr => pr.state === 'idle')),
    { timeoutMs: 20_000, what: 'the desk to see a slicer and an idle printer' })
  const key = await makeToken(t, desk, 'cura', 'submit')
  const base = octoprintUrl(desk)
  const stl = join(dir, 'cube.stl')
  await writeFile(stl, cubeStl(10))

  const answer = await curl(dir, ['-H', `X-Api-Key: ${key}`, '-F', 'select=true', '-F', 'print=true', '-F', `file=@${stl}`, `${base}/api/files/local`])
  assert.equal(answer.status, 201, JSON.stringify(answer.body))
  assert.deepEqual(answer.body.files.local.typePath, ['model', 'stl'])

  const done = await waitFor(async () => {
    const current = await request(`${base}/api/job`, { headers: { 'x-api-key': key } })
    if (current.body.state === 'Error') throw new Error(`the job failed: ${String(current.body.error)}`)
    return current.body.state === 'Operational' && current.body.progress.completion === 100 ? current.body : undefined
  }, { timeoutMs: JOB_TIMEOUT_MS, intervalMs: 1000, what: 'GET /api/job to show the sliced cube printed', failFast: err => /the job failed/.test(String(err)) })
  assert.match(done.job.file.name, /^cube.*\.gcode$/, 'the job\'s file is the G-code the mesh sliced')

  const [job] = await desk.jobStore.list()
  assert.deepEqual(job.stages.map(s => [s.kind, s.state]), [['slice', 'done'], ['print', 'done']])
  assert.ok(readRecord(recordFile).length > 100, 'the virtual printer ran the sliced G-code')
})
