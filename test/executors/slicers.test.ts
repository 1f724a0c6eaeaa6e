import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { detectExecutors } from '../../src/capabilities/tools.js'
import { CuraWasmExecutor } from '../../src/executors/cura-wasm.js'
import { OpenscadWasmExecutor } from '../../src/executors/openscad-wasm.js'
import { loadProfiles } from '../../src/executors/profiles.js'
import { parseToolsConfig } from '../../src/config/service-config.js'
import { skipOutsideCi } from '../skip-reason.js'
import { example, gcodeSummary, makeJob } from './job-dir.js'
import type { TestContext } from 'node:test'
import type { Executor } from '../../src/executors/executor.js'

const profiles = await loadProfiles()
const installed = await detectExecutors(parseToolsConfig({ openscad: false, embedded: { openscad: false, cura: false } }, 'tools'), [])
const slicers: Array<[string, Executor | undefined, string]> = [
  ['embedded CuraEngine', new CuraWasmExecutor('test', profiles), ''],
  ['native PrusaSlicer', installed.find(e => e.tool.name === 'prusa-slicer'), 'prusa-slicer is not installed (apt-get install prusa-slicer)'],
  ['native Slic3r', installed.find(e => e.tool.name === 'slic3r'), 'slic3r is not installed (apt-get install slic3r)'],
  ['native CuraEngine', installed.find(e => e.tool.name === 'curaengine'), 'CuraEngine is not installed (apt-get install cura-engine)']
]

/** The demo's first two stages: the gear, rendered by the embedded OpenSCAD, as an STL in a fresh job. */
async function gearStl (t: TestContext, options = {}): ReturnType<typeof makeJob> {
  const design = await makeJob(t, { 'gear.scad': await example('gear.scad') })
  const stl = await new OpenscadWasmExecutor('test').run(design)
  return makeJob(t, { 'gear.stl': await readFile(stl.outputPath) }, options)
}

for (const [kind, slicer, missing] of slicers) {
  test(`${kind} slices the gear into G-code a printer host can stream`, async (t) => {
    if (slicer == null) return skipOutsideCi(t, missing)
    const job = await gearStl(t, { profile: 'petg-0.2mm' })
    const result = await slicer.run(job)
    assert.equal(result.outputName, 'gear.gcode')
    const gcode = gcodeSummary(await readFile(result.outputPath, 'utf8'))
    assert.ok(gcode.moves > 500, `${gcode.moves} G1 moves`)
    assert.ok(gcode.hotend.includes(235), `PETG hotend temperature, got ${gcode.hotend.join(', ')}`)
    assert.ok(gcode.bed.includes(80), `PETG bed temperature, got ${gcode.bed.join(', ')}`)
    assert.equal(job.progress[0], 0)
    assert.equal(job.progress.at(-1), 100)
    assert.deepEqual(job.progress, [...job.progress].sort((a, b) => a - b), 'progress only goes forward')
  })

  test(`${kind} refuses an unknown profile, listing the known ones`, async (t) => {
    if (slicer == null) return skipOutsideCi(t, missing)
    const job = await makeJob(t, { 'part.stl': 'solid x\nendsolid x\n' }, { profile: '../../etc/passwd' })
    await assert.rejects(slicer.run(job), { name: 'UnknownProfileError', message: /known: petg-0\.2mm, pla-0\.2mm/ })
  })

  test(`${kind} refuses a model type it cannot read`, async (t) => {
    if (slicer == null) return skipOutsideCi(t, missing)
    const job = await makeJob(t, { 'part.scad': 'cube(1);' })
    await assert.rejects(slicer.run(job), { name: 'UnsupportedInputError' })
  })
}

test('every bundled profile names its material and what each slicer needs', () => {
  assert.deepEqual(profiles.summary(), [{ name: 'petg-0.2mm', material: 'PETG' }, { name: 'pla-0.2mm', material: 'PLA' }])
  assert.equal(profiles.resolve().name, 'pla-0.2mm')
  for (const name of profiles.names()) {
    const profile = profiles.resolve(name)
    assert.match(profile.prusaIni, /\.ini$/)
    assert.ok(Object.keys(profile.cura.settings).length > 0)
  }
})

test('a node config adds profiles from its own folder; a broken profile file is named', async (t) => {
  const extra = await makeJob(t, {
    'abs-0.3mm.json': JSON.stringify({ material: 'ABS', prusa: 'abs-0.3mm.ini', cura: { machine: 'creality_ender3', settings: { layer_height: '0.3' } } }),
    'abs-0.3mm.ini': 'layer_height = 0.3\n',
    'abs-0.6mm.json': JSON.stringify({ material: 'ABS', prusa: 'abs-0.6mm.ini', cura: { machine: 'creality_ender3', settings: { layer_height: '0.3' } } }),
    'abs-0.6mm.ini': 'layer_height = 0.3\nnozzle_diameter = 0.6,0.6\n'
  })
  const book = await loadProfiles([extra.workDir])
  assert.deepEqual(book.names(), ['abs-0.3mm', 'abs-0.6mm', 'petg-0.2mm', 'pla-0.2mm'])
  assert.equal(book.resolve('abs-0.3mm').material, 'ABS')
  assert.equal(book.resolve('abs-0.3mm').nozzleMm, 0.4, 'PrusaSlicer\'s default nozzle when the ini names none')
  assert.equal(book.resolve('abs-0.6mm').nozzleMm, 0.6)
  const broken = await makeJob(t, { 'nylon.json': JSON.stringify({ prusa: 'x.ini', cura: { machine: 'creality_ender3' } }) })
  await assert.rejects(loadProfiles([broken.workDir]), { name: 'ProfileFileError', message: /nylon\.json: "material"/ })
})

test('cancel stops the embedded slicer mid-slice', async (t) => {
  const job = await gearStl(t)
  const sliced = Promise.withResolvers<void>()
  const run = new CuraWasmExecutor('test', profiles).run({ ...job, onProgress: percent => { if (percent > 0) sliced.resolve() } })
  await Promise.race([sliced.promise, run.catch(() => {})])
  job.abort.abort()
  await assert.rejects(run, { name: 'ToolCancelledError' })
})
