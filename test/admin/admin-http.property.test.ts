import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { sealDocument } from '../../src/admin/admin-document.js'
import { readAdminKey } from '../../src/admin/admin-key.js'
import { httpUrl, makeToken, request } from '../api/http-fixture.js'
import { makeAdmin, startAdminPeer } from './admin-fixture.js'
import { tempDir } from '../market/mesh-fixture.js'

test('random bodies at the admin routes: a 4xx or a refusal, never a 500 and never obeyed; a read token cannot publish', async (t) => {
  const dir = await tempDir(t, 'admin-http-')
  const admin = await makeAdmin(dir)
  const node = await startAdminPeer(t, dir, 'n', admin)
  const api = httpUrl(node) + '/api/v1/admin'
  const operator = await makeToken(t, node, 'ops', 'operator')
  const reader = await makeToken(t, node, 'viewer', 'read')
  const maxConcurrent = node.config.market.maxConcurrent
  const document = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map(b => Buffer.from(b).toString('base64')),
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 2 })
  )
  await fc.assert(fc.asyncProperty(document, fc.boolean(), async (value, wrapped) => {
    const body = wrapped ? JSON.stringify({ document: value }) : String(value)
    const answer = await request(`${api}/documents`, { method: 'POST', token: operator, headers: { 'content-type': 'application/json' }, body })
    assert.ok(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${body}: ${answer.status}`)
    if (answer.status === 200) assert.equal(answer.body.decision, 'refused', body)
  }), { numRuns: 200 })
  await fc.assert(fc.asyncProperty(fc.string({ maxLength: 20 }), async (limit) => {
    const answer = await request(`${api}/log?limit=${encodeURIComponent(limit)}`, { token: operator })
    assert.ok(answer.status === 200 || answer.status === 400, `limit=${limit}: ${answer.status}`)
  }), { numRuns: 100 })
  assert.equal(node.config.market.maxConcurrent, maxConcurrent, 'nothing random was obeyed')

  const signed = sealDocument({ kind: 'config', target: { all: true, names: [] }, revision: 1, expiresAt: Date.now() + 60_000, body: { market: { maxConcurrent: 5 } } }, await readAdminKey(admin.keyFile))
  const asReader = await request(`${api}/documents`, { method: 'POST', token: reader, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document: Buffer.from(signed).toString('base64') }) })
  assert.equal(asReader.status, 403)
  const asOperator = await request(`${api}/documents`, { method: 'POST', token: operator, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document: Buffer.from(signed).toString('base64') }) })
  assert.equal(asOperator.body.decision, 'accepted')
  assert.equal(node.config.market.maxConcurrent, 5)
  const log = await request(`${api}/log?limit=2`, { token: operator })
  assert.deepEqual(log.body.map((e: { decision: string }) => e.decision), ['accepted', 'applied'])
  const fleet = await request(`${api}/status`, { token: reader })
  assert.equal(fleet.body[0].configRevision, 1)
})
