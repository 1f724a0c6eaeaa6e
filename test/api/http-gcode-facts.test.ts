import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '../lan/wait.js'
import { jobEnded, startPeer, tempDir } from '../market/mesh-fixture.js'
import { prusaGcode } from '../printer/sliced-gcode.js'
import { assertPrintedOn, withVirtualPrinter } from '../printer/virtual-printer-peer.js'
import { httpUrl, makeToken, request } from './http-fixture.js'

/**
 * A G-code uploaded over HTTP is read for what it asks of a printer (nozzle, filament, extents) as a file
 * submitted with the CLI is: the printer that does not fit refuses it with its reasons, the one that fits prints it.
 */
test('an HTTP-uploaded G-code for a 0.6 mm nozzle and PETG is refused by the 0.4 mm PLA printer with its reasons', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-gcode-')
  const plaPi = await startPeer(t, dir, 'pla-pi', withVirtualPrinter('mk3', { nozzleMm: 0.4, material: 'PLA', speedUp: 100 }))
  const petgPi = await startPeer(t, dir, 'petg-pi', withVirtualPrinter('big', { nozzleMm: 0.6, material: 'PETG', speedUp: 100 }))
  const desk = await startPeer(t, dir, 'desk', c => { c.offers = [] })
  for (const peer of [plaPi, petgPi]) await desk.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  await waitFor(async () => desk.capabilities.peers().filter(p => p.record.offers.includes('print')).length === 2,
    { timeoutMs: 15_000, intervalMs: 50, what: 'the desk to see both printer peers' })

  const token = await makeToken(t, desk, 'slicer', 'submit')
  const form = new FormData()
  form.append('file', new Blob([prusaGcode({ nozzleMm: 0.6, material: 'PETG' })]), 'bracket.gcode')
  form.append('pipeline', 'print')
  const answer = await request(httpUrl(desk) + '/api/v1/jobs', { method: 'POST', body: form, token })
  assert.equal(answer.status, 201, JSON.stringify(answer.body))
  const [submitted] = answer.body
  assert.equal(submitted.input.gcode?.nozzleMm, 0.6, 'the job carries the facts read from the uploaded blob')
  assert.equal(submitted.input.gcode?.material, 'PETG')

  assertPrintedOn(await jobEnded(desk, submitted.id, 120_000), 0, 'petg-pi', { by: 'pla-pi', reason: /loaded material is PLA, job needs PETG; nozzle is 0\.4 mm, job needs 0\.6 mm/ })

  await t.test('the form takes copies and priority as the CLI does; a copies that is not a whole number is refused by name', async () => {
    const upload = async (fields: Record<string, string>): Promise<{ status: number, body: any }> => {
      const copiesForm = new FormData()
      copiesForm.append('file', new Blob([prusaGcode({ nozzleMm: 0.6, material: 'PETG' })]), 'bracket.gcode')
      for (const [name, value] of Object.entries(fields)) copiesForm.append(name, value)
      return await request(httpUrl(desk) + '/api/v1/jobs', { method: 'POST', body: copiesForm, token })
    }
    for (const copies of ['two', '1.5', '-1']) {
      const refused = await upload({ pipeline: 'print', copies })
      assert.deepEqual([refused.status, refused.body.field], [400, 'copies'], JSON.stringify(refused.body))
    }
    const wrongPriority = await upload({ pipeline: 'print', priority: 'urgent' })
    assert.equal(wrongPriority.status, 400, JSON.stringify(wrongPriority.body))

    const made = await upload({ pipeline: 'print', copies: '2', priority: 'high' })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    const [job] = made.body
    assert.deepEqual([job.options.copies, job.options.priority], [2, 'high'])
    assert.equal((await jobEnded(desk, job.id, 120_000)).state, 'done')
    const shown = await request(`${httpUrl(desk)}/api/v1/jobs/${job.id as string}`, { token })
    assert.deepEqual(shown.body.copyJobs.map((c: any) => [c.state, c.options.priority, c.stages[0].peerName]), [['done', 'high', 'petg-pi'], ['done', 'high', 'petg-pi']])
  })
})
