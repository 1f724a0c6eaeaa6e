import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseServiceConfig, parseToolsConfig } from '../../src/config/service-config.js'

const service = { name: 'stl-repair', command: '/usr/bin/admesh', args: ['--write-binary-stl={output}'], outputExtension: 'stl', timeoutSec: 60 }

test('a service section is read with its template and defaults', () => {
  const parsed = parseServiceConfig({ ...service, args: ['--in', '{input}', '--out', '{output}'], outputExtension: '.stl', inputExtensions: ['stl', 'obj'] }, 'services[0]')
  assert.deepEqual(parsed, { name: 'stl-repair', command: '/usr/bin/admesh', args: ['--in', '{input}', '--out', '{output}'], outputExtension: 'stl', timeoutSec: 60, inputExtensions: ['stl', 'obj'] })
})

test('a bad service section names the bad field', () => {
  const cases: Array<[object, string]> = [
    [{ ...service, args: ['{input}', '--out={output}'] }, 'services[0].args[1]'],
    [{ ...service, args: ['{input}', '{output}', '{profile}'] }, 'services[0].args[2]'],
    [{ ...service, args: ['{output}'] }, 'services[0].args'],
    [{ ...service, args: ['{input}', '{output}'], shell: true }, 'services[0].shell'],
    [{ ...service, args: ['{input}', '{output}'], command: '' }, 'services[0].command'],
    [{ ...service, args: ['{input}', '{output}'], command: 'sh {input}' }, 'services[0].command'],
    [{ ...service, args: ['{input}', '{output}'], name: 'slice' }, 'services[0].name'],
    [{ ...service, args: ['{input}', '{output}'], name: 'Bad Name' }, 'services[0].name'],
    [{ ...service, args: ['{input}', '{output}'], outputExtension: 'st/l' }, 'services[0].outputExtension'],
    [{ ...service, args: ['{input}', '{output}'], timeoutSec: 0 }, 'services[0].timeoutSec'],
    [{ ...service, args: ['{input}', '{output}'], timeoutSec: undefined }, 'services[0].timeoutSec']
  ]
  for (const [raw, field] of cases) {
    assert.throws(() => parseServiceConfig(raw, 'services[0]'), (err: Error & { field?: string }) => {
      assert.equal(err.name, 'ConfigError')
      assert.equal(err.field, field, err.message)
      return true
    })
  }
})

test('the tools section defaults to PATH lookups with both embedded engines on, and the sandbox on', () => {
  assert.deepEqual(parseToolsConfig({}, 'tools'), {
    openscad: 'openscad', prusaSlicer: 'prusa-slicer', slic3r: 'slic3r', curaEngine: 'CuraEngine', embedded: { openscad: true, cura: true }, profileDirs: [], sandbox: true
  })
  const custom = parseToolsConfig({ openscad: '/opt/openscad/bin/openscad', curaEngine: false, embedded: { cura: false }, profileDirs: ['/etc/meshnode/profiles'] }, 'tools')
  assert.equal(custom.openscad, '/opt/openscad/bin/openscad')
  assert.equal(custom.curaEngine, false)
  assert.deepEqual(custom.embedded, { openscad: true, cura: false })
  assert.throws(() => parseToolsConfig({ cura: 'x' }, 'tools'), { name: 'ConfigError', field: 'tools.cura' })
  assert.throws(() => parseToolsConfig({ embedded: { openscad: 'yes' } }, 'tools'), { name: 'ConfigError', field: 'tools.embedded.openscad' })
})
