import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseRange } from '../../src/api/http/byte-range.js'
import { startRequesterAndExecutor, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, request } from './http-fixture.js'

test('parseRange: any header gives a range inside the file, "unsatisfiable", or the whole file', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^bytes=\d{0,6}-\d{0,6}$/)), fc.nat(1_000_000), (header, size) => {
    const range = parseRange(header, size)
    if (range === undefined || range === 'unsatisfiable') return
    assert.ok(range.start >= 0 && range.start <= range.end && range.end < size, JSON.stringify({ header, size, range }))
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.nat(1000), fc.nat(1000), fc.integer({ min: 1, max: 5000 }), (start, length, size) => {
    const range = parseRange(`bytes=${start}-${start + length}`, size)
    if (start >= size) assert.equal(range, 'unsatisfiable')
    else assert.deepEqual(range, { start, end: Math.min(start + length, size - 1) })
  }))
  assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 })
  assert.equal(parseRange('bytes=0-1,5-6', 1000), undefined, 'several ranges: the whole file')
})

const PATHS = ['/status', '/peers', '/jobs', '/jobs/{id}', '/jobs/{id}/logs', '/jobs/{id}/cancel', '/jobs/{id}/output', '/printers', '/power', '/queue', '/jobs/{id}/queue/move', '/jobs/{id}/queue/hold', '/jobs/{id}/provenance', '/verify/{id}', '/printers/{id}/pause', '/printers/{id}/clear', '/events', '/openapi.json', '/{id}']

/**
 * Random methods, paths, headers and bodies at every route: each is answered with a status a client can act
 * on (never a 500), and the node keeps serving.
 */
test('random requests at every route: answered, never a 500, and the node stays up', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-fuzz-')
  const { requester } = await startRequesterAndExecutor(t, dir)
  const api = httpUrl(requester) + '/api/v1'
  const segment = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('jffffffffffff', '..', '%00', '%2e%2e%2f', 'ö', ''))
  const headers = fc.record({
    authorization: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constant('Bearer mnt_x')), { nil: undefined }),
    range: fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^bytes=\d{0,4}-\d{0,4}$/)), { nil: undefined }),
    'last-event-id': fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    'content-type': fc.option(fc.constantFrom('application/json', 'multipart/form-data; boundary=x', 'text/plain', 'multipart/form-data'), { nil: undefined })
  }, { requiredKeys: [] })
  const body = fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })), { nil: undefined })
  const seen = new Map<number, number>()
  await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.constantFrom(...PATHS), segment, fc.string({ maxLength: 30 }), headers, body,
    async (method, path, id, query, headerValues, payload) => {
      const url = `${api}${path.replace('{id}', encodeURIComponent(id))}?${encodeURIComponent(query)}`
      const sent = Object.fromEntries(Object.entries(headerValues).filter(([, v]) => v != null).map(([k, v]) => [k, String(v).replace(/[^\x20-\x7e]/g, '')]))
      const abort = AbortSignal.timeout(5000)
      const response = await fetch(url, { method, headers: sent, body: method === 'GET' ? undefined : payload, signal: abort })
      // An event stream that opened is left: the answer is its status.
      if (response.headers.get('content-type')?.startsWith('text/event-stream') === true) await response.body?.cancel()
      else await response.arrayBuffer()
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1)
      assert.ok(response.status < 500 || response.status === 503, `${method} ${url} ${JSON.stringify(sent)} ${String(payload)}: ${response.status}`)
    }), { numRuns: 300 })
  const status = await request(`${api}/status`)
  assert.equal(status.status, 200, 'the node still answers')
  assert.ok(seen.size > 3, `a spread of answers: ${JSON.stringify([...seen])}`)
})
