import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkStages, fileStage, pipelineFor } from '../../src/jobs/pipeline.js'

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

test('a stage the mesh has never heard of is refused by name, listing the known ones; known stages nobody offers now are given back', () => {
  const mesh = { known: new Set(['scad', 'slice', 'print', 'stl-repair']), offered: new Set(['scad', 'slice']), peers: 3 }
  assert.deepEqual(checkStages(['scad', 'slice'], mesh), [])
  assert.deepEqual(checkStages(['scad', 'stl-repair', 'slice', 'print', 'print'], mesh), ['stl-repair', 'print'])
  assert.throws(() => checkStages(['scad', 'frobnicate', 'slise'], mesh), (err: Error) => {
    assert.equal(err.name, 'UnknownStageError')
    assert.match(err.message, /"frobnicate", "slise"/)
    assert.match(err.message, /3 peers/, 'the error says how many peers were asked about, in case one has not been heard of yet')
    for (const known of mesh.known) assert.ok(err.message.includes(known), `the error lists ${known}`)
    return true
  })
})

test('the file a job makes is its last stage\'s output, unless that stage only reports (a print): then the one before', () => {
  const stages = (...kinds: string[]): Array<{ kind: string, index: number }> => kinds.map((kind, index) => ({ kind, index }))
  assert.equal(fileStage(stages('scad', 'slice', 'print'))?.index, 1)
  assert.equal(fileStage(stages('scad', 'slice'))?.index, 1)
  assert.equal(fileStage(stages('slice', 'stl-repair'))?.index, 1)
  assert.equal(fileStage(stages('print'))?.index, 0, 'a print-only job has only its report')
  assert.equal(fileStage([]), undefined)
})
