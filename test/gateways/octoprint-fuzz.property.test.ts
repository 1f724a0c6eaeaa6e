import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ConfigError } from '../../src/config/config-error.js'
import { parseOctoPrintConfig } from '../../src/config/octoprint-config.js'
import { checkFileName } from '../../src/jobs/file-names.js'
import { makeToken, request } from '../api/http-fixture.js'
import { tempDir } from '../market/mesh-fixture.js'
import { octoprintUrl, startGatewayPeer } from './octoprint-fixture.js'

test('gateways.octoprint config: any JSON is a config or a ConfigError naming a field under it', () => {
  const keyEntry = fc.record({ printer: fc.oneof(fc.string(), fc.integer()), material: fc.string(), profile: fc.string(), colour: fc.string() }, { requiredKeys: [] })
  const section = fc.oneof(
    fc.jsonValue(),
    fc.record({
      listen: fc.oneof(fc.constantFrom('127.0.0.1:5000', '[::1]:0', '0.0.0.0:80', 'localhost:5000', '1.2.3.4:99999', null), fc.string()),
      keys: fc.oneof(fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('slicer', 'phone-1')), keyEntry), fc.jsonValue())
    }, { requiredKeys: [] })
  )
  fc.assert(fc.property(section, (raw) => {
    try {
      const config = parseOctoPrintConfig(raw, 'gateways.octoprint')
      if (config == null) return
      assert.match(config.listen, /:\d+$/)
      for (const [name, defaults] of Object.entries(config.keys)) {
        assert.match(name, /^[A-Za-z0-9._-]{1,64}$/)
        for (const value of Object.values(defaults)) assert.equal(typeof value, 'string')
      }
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err))
      assert.ok(err.field.startsWith('gateways.octoprint'), err.field)
    }
  }), { numRuns: 2000 })
})

const PATHS = ['/api/version', '/api/server', '/api/files', '/api/files/local', '/api/files/local/{name}', '/api/job', '/api/printer', '/api/{name}', '/{name}']
const ANSWERS = new Set([200, 201, 204, 400, 401, 403, 404, 409, 413, 415])

/** A multipart body as a client might build it, right or wrong: random fields, random file names. */
function multipart (boundary: string, fields: Array<{ name: string, filename?: string, value: string }>): string {
  return fields.map(f => `--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"${f.filename == null ? '' : `; filename="${f.filename}"`}\r\n\r\n${f.value}\r\n`).join('') + `--${boundary}--\r\n`
}

/**
 * Random methods, paths, keys, content types and bodies (JSON, text, multipart with random fields and names) at
 * every route: each gets one of OctoPrint's answers (never a 5xx), every error in OctoPrint's `{ "error" }`
 * shape, only plain names are ever kept, and the peer keeps serving.
 */
test('random requests at every OctoPrint route: OctoPrint\'s codes and error shape, never a 500', async (t) => {
  const dir = await tempDir(t, 'meshnode-octoprint-fuzz-')
  const desk = await startGatewayPeer(t, dir, {}, 64 * 1024)
  const key = await makeToken(t, desk, 'slicer', 'submit')
  const readKey = await makeToken(t, desk, 'phone', 'read')
  const base = octoprintUrl(desk)
  const name = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('part.gcode', 'part.stl', '..', '%2e%2e%2fx.gcode', 'ö.gcode', '.hidden.gcode', ''))
  const field = fc.record({
    name: fc.constantFrom('file', 'print', 'select', 'path', 'userdata', 'with', 'x'),
    filename: fc.option(fc.oneof(name, fc.constantFrom('a.gcode', 'b.stl', '../a.gcode', 'a.exe')), { nil: undefined }),
    value: fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom('true', 'false', 'G28\nG1 X1\n', ''))
  })
  const upload = fc.record({ name: fc.constant('file'), filename: fc.constantFrom('part.gcode', 'part.stl', 'Part_2.3mf', 'x.obj'), value: fc.string({ maxLength: 200 }) })
  const body = fc.oneof(
    fc.record({ kind: fc.constant('multipart' as const), fields: fc.array(field, { maxLength: 5 }) }),
    fc.record({ kind: fc.constant('multipart' as const), fields: fc.tuple(fc.array(field, { maxLength: 3 }), upload).map(([rest, file]) => [...rest, file]) }),
    fc.record({ kind: fc.constant('json' as const), value: fc.oneof(fc.jsonValue(), fc.record({ command: fc.constantFrom('select', 'slice', 'copy'), print: fc.boolean() })) }),
    fc.record({ kind: fc.constant('text' as const), value: fc.string({ maxLength: 200 }) }),
    fc.constant({ kind: 'none' as const })
  )
  // Mostly the good key: a wrong one stops every request at the door, before the routes it is meant to reach.
  const apiKey = fc.oneof({ arbitrary: fc.constant(key), weight: 8 }, fc.constantFrom(readKey, 'mnt_x', '', undefined), fc.string({ maxLength: 40 }))
  const seen = new Map<number, number>()
  const method = fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST'), weight: 4 }, fc.constantFrom('PUT', 'DELETE'))
  const path = fc.oneof({ arbitrary: fc.constant('/api/files/local'), weight: 3 }, fc.constantFrom(...PATHS))
  await fc.assert(fc.asyncProperty(method, path, name, apiKey, body,
    async (method, path, segment, presented, payload) => {
      const url = `${base}${path.replace('{name}', encodeURIComponent(segment))}`
      const headers: Record<string, string> = {}
      if (presented != null) headers['x-api-key'] = presented.replace(/[^\x21-\x7e]/g, '')
      let sent: string | undefined
      if (payload.kind === 'multipart') {
        headers['content-type'] = 'multipart/form-data; boundary=fuzzfuzz'
        sent = multipart('fuzzfuzz', payload.fields)
      } else if (payload.kind === 'json') {
        headers['content-type'] = 'application/json'
        sent = JSON.stringify(payload.value)
      } else if (payload.kind === 'text') {
        headers['content-type'] = 'text/plain'
        sent = payload.value
      }
      const answer = await request(url, { method, headers, body: method === 'GET' ? undefined : sent, signal: AbortSignal.timeout(10_000) })
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1)
      const what = `${method} ${url} ${JSON.stringify(headers)} ${String(sent).slice(0, 300)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`
      assert.ok(ANSWERS.has(answer.status), what)
      if (answer.status >= 400) {
        assert.deepEqual(Object.keys(answer.body), ['error'], what)
        assert.equal(typeof answer.body.error, 'string', what)
      }
    }), { numRuns: 400 })

  const files = await request(`${base}/api/files`, { headers: { 'x-api-key': key } })
  assert.equal(files.status, 200, 'the gateway still answers')
  for (const file of files.body.files) assert.equal(checkFileName(file.name), file.name, 'only plain names are kept')
  assert.ok(seen.size > 4, `a spread of answers: ${JSON.stringify([...seen])}`)
})
