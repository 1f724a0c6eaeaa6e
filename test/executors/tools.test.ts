import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { detectExecutors } from '../../src/capabilities/tools.js'
import { parseServiceConfig, parseToolsConfig } from '../../src/config/service-config.js'

function onPath (command: string): boolean {
  try {
    execFileSync('which', [command], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

test('detection lists what is installed, native before embedded, then services', async () => {
  const service = parseServiceConfig({ name: 'stl-repair', command: process.execPath, args: ['{input}', '{output}'], outputExtension: 'stl', timeoutSec: 5 }, 'services[0]')
  const executors = await detectExecutors(parseToolsConfig({}, 'tools'), [service])
  const found = executors.map(e => `${e.tool.stage}:${e.tool.name}:${e.tool.embedded ? 'embedded' : 'native'}`)
  const expected = [
    ...(onPath('openscad') ? ['scad:openscad:native'] : []),
    'scad:openscad:embedded',
    ...(onPath('prusa-slicer') ? ['slice:prusa-slicer:native'] : []),
    ...(onPath('slic3r') ? ['slice:slic3r:native'] : []),
    ...(onPath('CuraEngine') ? ['slice:curaengine:native'] : []),
    'slice:curaengine:embedded',
    'stl-repair:stl-repair:native'
  ]
  assert.deepEqual(found, expected)
  for (const { tool } of executors) assert.match(tool.version, /\d|configured/, `${tool.name} has a version`)
  const slicer = executors.find(e => e.tool.stage === 'slice')
  assert.deepEqual(slicer?.tool.profiles?.map(p => p.material), ['PETG', 'PLA'])
})

test('tools switched off or missing are not offered', async () => {
  const executors = await detectExecutors(parseToolsConfig({
    openscad: '/nonexistent/openscad', prusaSlicer: false, slic3r: false, curaEngine: false, embedded: { openscad: false, cura: true }
  }, 'tools'), [])
  assert.deepEqual(executors.map(e => `${e.tool.stage}:${e.tool.name}:${e.tool.embedded}`), ['slice:curaengine:true'])
})
