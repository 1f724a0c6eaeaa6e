import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, request } from '../api/http-fixture.js'
import { call } from './library-helpers.js'
import { SCAD } from './design-files.js'

const PATHS = ['/library', '/library/{id}', '/library/{id}/tags', '/library/{id}/remove', '/library/{id}/jobs']

test('the library over HTTP: found by words and tagged; random requests at its routes are answered, never with a 500', async (t) => {
  const dir = await tempDir(t, 'library-http-')
  const node = await startPeer(t, dir, 'shop')
  await writeFile(join(dir, 'bracket.scad'), SCAD)
  const [{ entry }] = await call(node, 'library.add', { files: [join(dir, 'bracket.scad')], tags: ['brackets'] })
  const api = httpUrl(node) + '/api/v1'

  const found = await request(`${api}/library?text=brack`)
  assert.equal(found.status, 200)
  assert.deepEqual(found.body.map((e: any) => e.id), [entry.id])
  const tagged = await request(`${api}/library/${entry.id as string}/tags`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ add: ['m3'] }) })
  assert.deepEqual([tagged.status, tagged.body.tags], [200, ['brackets', 'm3']])
  const missing = await request(`${api}/library/ffffffffffff`)
  assert.deepEqual([missing.status, missing.body.error], [404, 'EntryNotFoundError'])
  const badTag = await request(`${api}/library/${entry.id as string}/tags`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ add: ['no spaces'] }) })
  assert.deepEqual([badTag.status, badTag.body.error], [400, 'BadEntryFieldError'])

  const segment = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(entry.id as string, (entry.id as string).slice(0, 4), 'ffff', '..', '%00'))
  const body = fc.option(fc.oneof(fc.string({ maxLength: 100 }), fc.json({ maxDepth: 3 }), fc.record({ add: fc.array(fc.string({ maxLength: 70 }), { maxLength: 3 }), remove: fc.array(fc.string(), { maxLength: 3 }) }).map(v => JSON.stringify(v))), { nil: undefined })
  await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST'), fc.constantFrom(...PATHS), segment, fc.string({ maxLength: 30 }), body, async (method, path, id, query, payload) => {
    const url = `${api}${path.replace('{id}', encodeURIComponent(id))}?${encodeURIComponent(query)}`
    const answer = await request(url, { method, headers: payload == null ? {} : { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : payload })
    assert.ok(answer.status < 500 || answer.status === 503, `${method} ${url} ${String(payload)}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }), { numRuns: 200 })
  assert.equal((await request(`${api}/library`)).status, 200, 'the node still answers')
})
