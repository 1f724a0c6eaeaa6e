import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { detectExecutors } from '../../src/capabilities/tools.js'
import { OpenscadWasmExecutor } from '../../src/executors/openscad-wasm.js'
import { parseToolsConfig } from '../../src/config/service-config.js'
import { skipOutsideCi } from '../skip-reason.js'
import { example, makeJob, readAsciiStl } from './job-dir.js'
import type { Executor } from '../../src/executors/executor.js'

const wasm = new OpenscadWasmExecutor('test')
const native = (await detectExecutors(parseToolsConfig({ embedded: { openscad: false, cura: false } }, 'tools'), []))
  .find(e => e.tool.stage === 'scad')
const engines: Array<[string, Executor | undefined]> = [['embedded', wasm], ['native', native]]
const missing = 'openscad is not installed (apt-get install openscad)'

for (const [kind, engine] of engines) {
  test(`${kind} openscad renders the wall bracket to a solid STL, sized by -D`, async (t) => {
    if (engine == null) return skipOutsideCi(t, missing)
    const job = await makeJob(t, { 'bracket.scad': await example('bracket.scad') }, { params: { width: '30', gusset: 'true' } })
    const result = await engine.run(job)
    assert.equal(result.outputName, 'bracket.stl')
    const stl = readAsciiStl(await readFile(result.outputPath, 'utf8'))
    assert.ok(stl.facets > 20, `${stl.facets} facets`)
    assert.ok(Math.abs(stl.max[0] - stl.min[0] - 30) < 0.01, `width ${stl.max[0] - stl.min[0]}`)
    assert.deepEqual([job.progress[0], job.progress.at(-1)], [0, 100])
    assert.ok(result.command.includes('width=30'))
  })

  test(`${kind} openscad includes a library shipped with the job`, async (t) => {
    if (engine == null) return skipOutsideCi(t, missing)
    const job = await makeJob(t, { 'part.scad': 'include <lib.scad>\nplate(12);\n', 'lib.scad': 'module plate(w) cube([w, 5, 2]);\n' })
    const stl = readAsciiStl(await readFile((await engine.run(job)).outputPath, 'utf8'))
    assert.ok(Math.abs(stl.max[0] - 12) < 0.01)
  })

  test(`${kind} openscad reports a syntax error in OpenSCAD's own words`, async (t) => {
    if (engine == null) return skipOutsideCi(t, missing)
    const job = await makeJob(t, { 'broken.scad': 'cube(10);\ncube([1, 2,;\n' })
    await assert.rejects(engine.run(job), (err: Error) => {
      assert.equal(err.name, 'ToolFailedError')
      assert.match(err.message, /Parser error.*line 2/i)
      return true
    })
    assert.ok(job.logs.some(line => /Parser error/i.test(line)), 'the error is in the job log too')
  })

  test(`${kind} openscad refuses hostile -D values and designs reading /etc/passwd before running`, async (t) => {
    if (engine == null) return skipOutsideCi(t, missing)
    const hostile = await makeJob(t, { 'bracket.scad': await example('bracket.scad') }, { params: { width: '1; import("/etc/passwd")' } })
    await assert.rejects(engine.run(hostile), { name: 'ScadParameterError' })
    for (const source of ['include </etc/passwd>\ncube(1);\n', 'import("/etc/passwd");\n', 'use <../../etc/passwd>\n']) {
      const job = await makeJob(t, { 'evil.scad': source })
      await assert.rejects(engine.run(job), { name: 'UnsafeDesignError', message: /outside its job directory/ })
      assert.deepEqual(job.logs, [], 'the tool never ran')
    }
    const viaLibrary = await makeJob(t, { 'part.scad': 'include <lib.scad>\n', 'lib.scad': 'include </etc/passwd>\n' })
    await assert.rejects(engine.run(viaLibrary), { name: 'UnsafeDesignError' })
  })

  test(`${kind} openscad is killed by cancel and by its timeout`, async (t) => {
    if (engine == null) return skipOutsideCi(t, missing)
    // Sixteen million loop steps that make no geometry: far longer than the test waits, in little memory.
    const endless = 'echo("spinning");\nfor (i = [0:4000]) for (j = [0:4000]) if (sin(i * j) > 2) cube(1);\ncube(1);\n'
    const cancelled = await makeJob(t, { 'slow.scad': endless })
    const logged = Promise.withResolvers<void>()
    const run = engine.run({ ...cancelled, onLog: line => { cancelled.logs.push(line); logged.resolve() } })
    await Promise.race([logged.promise, run.catch(() => {})])
    cancelled.abort.abort()
    await assert.rejects(run, { name: 'ToolCancelledError' })

    const timed = await makeJob(t, { 'slow.scad': endless }, { timeoutMs: 1500 })
    await assert.rejects(engine.run(timed), { name: 'ToolTimeoutError' })
  })
}
