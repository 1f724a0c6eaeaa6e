import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pipelineFor } from '../../src/jobs/pipeline.js'

const KNOWN = ['.scad', '.stl', '.3mf', '.obj', '.gcode']

test('without --pipeline the input\'s type picks the stages, whatever the case of its extension', () => {
  assert.deepEqual(pipelineFor('part.scad'), ['scad', 'slice'])
  assert.deepEqual(pipelineFor('part.stl'), ['slice'])
  assert.deepEqual(pipelineFor('PART.STL'), ['slice'])
  assert.deepEqual(pipelineFor('plate.3mf'), ['slice'])
  assert.deepEqual(pipelineFor('mesh.obj'), ['slice'])
  assert.deepEqual(pipelineFor('benchy.gcode'), ['print'])
})

test('an unknown type is refused by name, and the error lists every known type', () => {
  for (const name of ['logo.dxf', 'README', '.scad', 'part.scad.bak']) {
    assert.throws(() => pipelineFor(name), (err: Error) => {
      assert.equal(err.name, 'UnknownInputTypeError')
      for (const ext of KNOWN) assert.ok(err.message.includes(ext), `the error does not list ${ext}`)
      return true
    })
  }
})

test('a given pipeline wins over the type, and any file type may take one', () => {
  assert.deepEqual(pipelineFor('part.scad', ['scad', 'slice', 'print']), ['scad', 'slice', 'print'])
  assert.deepEqual(pipelineFor('logo.dxf', ['stl-repair', 'slice']), ['stl-repair', 'slice'])
})

test('a given pipeline must have 1 to 16 stages with plain names', () => {
  for (const given of [[], Array(17).fill('slice'), ['scad', '../bin/sh'], ['scad', ''], ['sl ice'], ['-rf']]) {
    assert.throws(() => pipelineFor('part.scad', given), { name: 'BadPipelineError' }, JSON.stringify(given))
  }
  assert.equal(pipelineFor('part.scad', Array(16).fill('slice')).length, 16)
})

test('changing a returned pipeline does not change the defaults for the next job', () => {
  pipelineFor('part.scad').push('print')
  assert.deepEqual(pipelineFor('part.scad'), ['scad', 'slice'])
})
