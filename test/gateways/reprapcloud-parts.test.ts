import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseConfig } from '../../src/config/load-config.js'
import { checkSlicerSettings, SlicerSettingsError } from '../../src/executors/slicer-settings.js'
import { prettyTime } from '../../src/gateways/reprapcloud/meta.js'
import { notifierUrl } from '../../src/gateways/reprapcloud/notifier.js'
import { admitRelayClient, RELAY_CLIENT } from '../../src/gateways/reprapcloud/relay-caller.js'
import { recordJson, recordsJson, recordText } from '../../src/gateways/reprapcloud/relay-format.js'
import { expired } from '../../src/gateways/reprapcloud/retention.js'
import { relayServices } from '../../src/gateways/reprapcloud/services.js'
import { planTask } from '../../src/gateways/reprapcloud/task-plan.js'
import { isTaskId, newTaskId, type TaskRecord } from '../../src/gateways/reprapcloud/task-record.js'
import { parseRelayReply } from './relay-client.js'
import type { RelayRequest } from '../../src/gateways/reprapcloud/relay-request.js'
import type { TokenStore } from '../../src/api/token-store.js'

const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/)

test('a text record reads back through the relay client\'s line rule, whatever the values hold', () => {
  fc.assert(fc.property(fc.dictionary(key, fc.string({ maxLength: 80 })), (record) => {
    const read = parseRelayReply(recordText(record))
    for (const [k, value] of Object.entries(record)) {
      const oneLine = value.replace(/\s+/g, ' ').trim()
      if (oneLine.length >= 2) assert.equal(read[k], oneLine)
    }
    assert.deepEqual(Object.keys(read).filter(k => !(k in record)), [], 'no value became a key of its own')
  }))
})

test('JSON records are flat objects of strings, sorted as the relay wrote them; a list is an array of them', () => {
  fc.assert(fc.property(fc.array(fc.dictionary(key, fc.string({ maxLength: 40 })), { maxLength: 4 }), (records) => {
    const list = JSON.parse(recordsJson(records)) as Array<Record<string, string>>
    assert.equal(list.length, records.length)
    for (const [i, parsed] of list.entries()) {
      assert.deepEqual(Object.keys(parsed), Object.keys(records[i]).sort((a, b) => a < b ? -1 : a > b ? 1 : 0))
      assert.ok(Object.values(parsed).every(v => typeof v === 'string'))
    }
  }))
  assert.equal(recordJson({ b: '2', a: 'x"y' }), '{\n\t"a": "x\\"y",\n\t"b": "2"\n}\n')
})

test('slicer settings keep only known numeric settings in range; anything else is dropped or refused by name', () => {
  const checked = checkSlicerSettings('# exported\nlayer_height = 0.3\npost_process = /bin/sh -c evil\nstart_gcode = M104\nfill_density = 15%\n')
  assert.equal(checked.ini, 'fill_density = 15%\nlayer_height = 0.3\n')
  assert.deepEqual(checked.dropped, ['post_process', 'start_gcode'])
  assert.deepEqual(checkSlicerSettings('fill_density = 15%\nextrusion_multiplier = 0.95\nfirst_layer_height = 150%').cura, { infill_sparse_density: '15', material_flow: '95' }, 'CuraEngine\'s equals; a relative first layer has none')
  assert.throws(() => checkSlicerSettings('layer_height = 3'), SlicerSettingsError)
  assert.throws(() => checkSlicerSettings('layer_height = 0.2; rm -rf /'), /layer_height must be a number/)
  assert.throws(() => checkSlicerSettings('post_process = x'), /none of the settings/)
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('layer_height', 'fill_density', 'perimeters', 'post_process', 'output_filename_format', ''), fc.string({ maxLength: 20 })), { maxLength: 6 }), (lines) => {
    const text = lines.map(([k, v]) => `${k} = ${v}`).join('\n')
    try {
      const kept = checkSlicerSettings(text)
      for (const line of kept.ini.trimEnd().split('\n')) assert.match(line, /^(layer_height|fill_density|perimeters) = \d+(\.\d+)?%?$/)
    } catch (err) {
      assert.ok(err instanceof SlicerSettingsError, String(err))
    }
  }))
})

const service = relayServices([], new Set(['slice', 'print'])).get('slic3r')
const printrun = relayServices([], new Set(['slice', 'print'])).get('printrun')

function request (fields: Record<string, string>, inputs: number[]): RelayRequest {
  return { fields: new Map(Object.entries(fields)), inputs: new Map(inputs.map(n => [n, { hash: 'a'.repeat(64), size: 1, extension: n === 0 ? 'conf' : '' }])) }
}

test('a task plan reads inputs to the first gap, accepts only the service\'s prearg and argument prefixes', () => {
  assert.ok(service != null && printrun != null)
  const load = planTask('1-00000-000000', request({ prearg0: '--load=' }, [0, 1, 3]), service)
  assert.deepEqual(load.errors, [])
  assert.equal(load.settings?.name, '1-00000-000000-0.conf')
  assert.equal(load.main?.name, '1-00000-000000-1.stl', 'content with no name takes the service\'s input type')
  assert.equal(load.inputs.length, 2, 'fileIn3 is past the gap')
  assert.match(planTask('1-00000-000000', request({ prearg0: '--output=' }, [0, 1]), service).errors[0], /not approved prearg0: --output=/)
  assert.deepEqual(planTask('1-00000-000000', request({ arg0: '/dev/ttyUSB0' }, [1, 0]), printrun).args, ['/dev/ttyUSB0'])
  assert.match(planTask('1-00000-000000', request({ nativeArgs: '/dev/ttyUSB0,--bad' }, [0]), printrun).errors[0], /not approved argument --bad/)
  assert.match(planTask('1-00000-000000', request({}, []), printrun).errors[0], /no fileIn0/)
})

test('services are those whose stages the mesh offers now; echo always', () => {
  assert.deepEqual([...relayServices([], new Set()).keys()], ['echo'])
  assert.deepEqual([...relayServices([{ name: 'stl-repair', outputExtension: 'stl' }], new Set(['scad', 'openjscad', 'stl-repair'])).keys()].sort(), ['echo', 'openjscad', 'openscad', 'stl-repair'])
})

test('notifier: $id and $myip replaced, only http(s)', () => {
  assert.equal(notifierUrl('http://$myip/done?$id', '5-00000-000001', '10.0.0.7'), 'http://10.0.0.7/done?5-00000-000001')
  assert.equal(notifierUrl('http://$myip:81/x', '1', '::1'), 'http://[::1]:81/x')
  assert.throws(() => notifierUrl('file:///etc/passwd', '1', '1.2.3.4'), /http\(s\)/)
  assert.throws(() => notifierUrl('not a url', '1', '1.2.3.4'), /not a URL/)
})

test('task ids look like the relay\'s, and only those are accepted', () => {
  const id = newTaskId(1361787155_774)
  assert.match(id, /^1361787155-77400-\d{6}$/)
  assert.ok(isTaskId(id))
  for (const bad of ['../x', '1361787155-774973', '1-2-3', `${id}/..`, '']) assert.equal(isTaskId(bad), false, bad)
})

test('retention: ended tasks older than maxDataRetention hours expire; busy ones never', () => {
  const task = { etime: 1000 } as TaskRecord
  assert.equal(expired(task, 1, 1000_000 + 3599_000), false)
  assert.equal(expired(task, 1, 1000_000 + 3601_000), true)
  assert.equal(expired({} as TaskRecord, 0, Date.now()), false)
})

test('prettyTime writes the relay\'s uptime', () => {
  assert.equal(prettyTime(6 * 3600 + 52), '0d 06h 00m 52s')
  assert.equal(prettyTime(1234 * 86400 + 61), '1,234d 00h 01m 01s')
})

test('clients without a token: admitted where the gateway is open to them, refused elsewhere; a wrong token always refused', () => {
  const tokens = { size: 1, verify: (t: string) => t === 'mesh_good' ? { name: 'ci', scope: 'submit' as const, createdAt: 0 } : undefined } as unknown as TokenStore
  assert.deepEqual(admitRelayClient({}, {}, tokens, true), { caller: RELAY_CLIENT })
  assert.match((admitRelayClient({}, {}, tokens, false) as { refusal: string }).refusal, /needs a token/)
  assert.deepEqual(admitRelayClient({}, { token: 'mesh_good' }, tokens, false), { caller: { kind: 'token', name: 'ci', scope: 'submit' } })
  assert.ok('refusal' in admitRelayClient({ 'x-api-key': 'mesh_bad' }, {}, tokens, true))
})

test('config: gateways.reprapcloud is off by default, checked field by field', () => {
  assert.equal(parseConfig({}, '/').gateways.reprapcloud.listen, undefined)
  const config = parseConfig({ gateways: { reprapcloud: { listen: '127.0.0.1:4468', maxDataRetentionHours: 2 } } }, '/').gateways.reprapcloud
  assert.deepEqual(config, { listen: '127.0.0.1:4468', open: false, maxDataRetentionHours: 2, timeoutSec: 1800 })
  assert.throws(() => parseConfig({ gateways: { reprapcloud: { listen: 'localhost:4468' } } }, '/'), /gateways\.reprapcloud\.listen/)
  assert.throws(() => parseConfig({ gateways: { reprapcloud: { port: 4468 } } }, '/'), /gateways\.reprapcloud\.port/)
})
