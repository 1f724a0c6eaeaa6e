import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { parsePrinterFlag } from '../../src/printer/printer-config.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { curl, parseRelayReply, relayUrl } from './relay-client.js'

/** Every non-empty line of a text reply is `key: value`, as the relay's client reads them. */
function assertRelayShape (body: string): void {
  for (const line of body.split('\n').filter(l => l !== '')) assert.match(line, /^[^\s:]+: /, `not a relay line: ${line.slice(0, 120)}`)
}

test('hostile requests get the relay\'s error shape and the peer keeps serving', { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, 'meshnode-rrc-hostile-')
  const node = await startPeer(t, dir, 'gateway', c => {
    // A virtual printer, so that printrun is offered and its argument checks are reached.
    c.offers = ['scad', 'print']
    c.printers = [parsePrinterFlag('bench=virtual')]
    c.tools = { ...c.tools, openscad: false, embedded: { openscad: true, cura: false } }
    c.gateways.reprapcloud.listen = '127.0.0.1:0'
  })
  const url = relayUrl(node)
  const part = join(dir, 'part.scad')
  await writeFile(part, 'cube(2);\n')

  await t.test('an upload named ../../ keeps only its extension', async () => {
    const task = parseRelayReply(await curl(['-F', 'service=openscad', '-F', `fileIn0=@${part};filename=../../../etc/cron.d/x.scad`, `${url}/`]))
    assert.equal(task.status, 'complete', JSON.stringify(task))
    assert.equal(task.in, `tasks/in/${task.id}-0.scad`)
  })

  await t.test('paths that climb out of tasks/ find nothing', async () => {
    for (const path of ['/tasks/out/../../etc/passwd', '/tasks/out/..%2f..%2fetc%2fpasswd', '/tasks/log/..%2f..%2fdb', '/tasks/log/1-2-3', '/tasks/in/x', '/etc/passwd']) {
      const body = await curl(['--path-as-is', `${url}${path}`])
      assertRelayShape(body)
      assert.match(body, /^error: /, path)
    }
  })

  await t.test('unknown services, missing inputs, bad ids and notifiers are refused in the relay\'s shape', async () => {
    const unknown = await curl(['-F', 'service=rm -rf', '-F', `fileIn0=@${part}`, `${url}/`])
    assert.equal(unknown, 'error: Requested service \'rm -rf\' does not exist (yet).\n')
    const missing = parseRelayReply(await curl(['-F', 'service=openscad', '-F', `fileIn1=@${part}`, `${url}/`]))
    assert.equal(missing.status, 'failed')
    assert.match(missing.error, /no fileIn0/)
    const badId = await curl(['-F', 'service=info', '-F', 'id=../../x', `${url}/`])
    assert.match(badId, /^error: id "..\/..\/x" is not a task id/)
    const fileNotifier = parseRelayReply(await curl(['-F', 'service=openscad', '-F', `fileIn0=@${part}`, '-F', 'notifier=file:///etc/passwd', `${url}/`]))
    assert.equal(fileNotifier.status, 'failed')
    assert.match(fileNotifier.error, /notifier must be an http\(s\) URL/)
    const arg = parseRelayReply(await curl(['-F', 'service=printrun', '--form-string', 'arg0=/dev/ttyUSB0;reboot', '-F', `fileIn0=@${part}`, `${url}/`]))
    assert.equal(arg.status, 'failed')
    assert.match(arg.error, /not approved argument/)
  })

  await t.test('huge fields are refused, naming the field', async () => {
    const huge = join(dir, 'huge.txt')
    await writeFile(huge, 'x'.repeat(17 * 1024 * 1024))
    const content = await curl(['-F', 'service=echo', '-F', `fileIn0=<${huge}`, `${url}/`])
    assert.match(content, /^error: /)
    const service = await curl(['-F', `service=${'s'.repeat(5000)}`, `${url}/`])
    assert.match(service, /^error: service is longer than 2048 bytes$/m)
    const query = await curl([`${url}/?service=meta&notifier=${'n'.repeat(3000)}`])
    assert.match(query, /^error: notifier is longer/m)
  })

  await t.test('random fields, in a query, urlencoded or multipart, always get a relay reply', async () => {
    const names = fc.oneof(fc.constantFrom('service', 'id', 'format', 'notifier', 'fileIn0', 'fileIn1', 'fileIn40', 'prearg0', 'arg0', 'nativeArgs', 'in', 'token'), fc.string({ maxLength: 12 }))
    // Not printrun: a random print would occupy the virtual printer's bed and hold the next one's reply.
    const services = fc.constantFrom('info', 'status', 'meta', 'kill', 'echo', 'openscad', 'slic3r', '', 'nope')
    const request = fc.record({
      service: services,
      fields: fc.array(fc.tuple(names, fc.string({ maxLength: 300 })), { maxLength: 8 }),
      via: fc.constantFrom('query', 'urlencoded', 'multipart'),
      json: fc.boolean()
    })
    await fc.assert(fc.asyncProperty(request, async ({ service, fields, via, json }) => {
      const all: Array<[string, string]> = [['service', service], ...fields.filter(([name]) => name !== 'service' && name !== 'format' && name !== 'token'), ...(json ? [['format', 'json'] as [string, string]] : [])]
      const params = new URLSearchParams(all)
      let response: Response
      if (via === 'query') response = await fetch(`${url}/?${params.toString()}`, { signal: AbortSignal.timeout(60_000) })
      else if (via === 'urlencoded') response = await fetch(`${url}/`, { method: 'POST', body: params, signal: AbortSignal.timeout(60_000) })
      else {
        const form = new FormData()
        for (const [name, value] of all) form.append(name, value)
        response = await fetch(`${url}/`, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) })
      }
      const body = await response.text()
      assert.ok([200, 404].includes(response.status), `status ${response.status}: ${body.slice(0, 200)}`)
      assert.equal(response.headers.get('access-control-allow-origin'), '*')
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
      if (json && body.trim().startsWith('{')) assert.ok(Object.values(JSON.parse(body)).every(v => typeof v === 'string'))
      else if (json && body.trim().startsWith('[')) assert.ok(Array.isArray(JSON.parse(body)))
      else assertRelayShape(body)
    }), { numRuns: 60 })
  })

  await t.test('after all that, the peer still answers', async () => {
    const meta = parseRelayReply(await curl(['-F', 'service=meta', `${url}/`]))
    assert.equal(meta.version, 'RepRapCloud 0.019')
    const task = parseRelayReply(await curl(['-F', 'service=openscad', '-F', `fileIn0=@${part}`, `${url}/`]))
    assert.equal(task.status, 'complete')
  })
})
