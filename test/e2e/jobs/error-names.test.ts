import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, startPeer, tempDir } from '../../market/mesh-fixture.js'

// Native OpenSCAD (from PATH, as CI installs it) and the embedded engine: each names the job folder's copy
// of the design in its own way (the work folder's absolute path, /job/input.scad, a bare input.scad).
const engines = {
  native: { openscad: 'openscad', embedded: { openscad: false, cura: false } },
  embedded: { openscad: false as const, embedded: { openscad: true, cura: false } }
}

for (const [kind, tools] of Object.entries(engines)) {
  test(`${kind} OpenSCAD: a syntax error names the user's file, never the executor's copy of it`, async (t) => {
    const dir = await tempDir(t, `meshnode-error-names-${kind}-`)
    const node = await startPeer(t, dir, 'renderer', config => { config.tools = { ...config.tools, ...tools } })
    assert.deepEqual(node.executors.filter(e => e.tool.stage === 'scad').map(e => `${e.tool.name}${e.tool.embedded ? ' (embedded)' : ''}`), [kind === 'native' ? 'openscad' : 'openscad (embedded)'], `${kind} OpenSCAD is installed`)
    const design = join(dir, 'bracket-v2.scad')
    await writeFile(design, 'include <lib.scad>\ncube([1, 2,;\n')
    await writeFile(join(dir, 'lib.scad'), 'module plate(w) cube([w, 5, 2]);\n')
    const [submitted] = await node.jobs.submit({ files: [design], extra: [join(dir, 'lib.scad')], pipeline: ['scad'], options: { params: {} } })
    const job = await jobEnded(node, submitted.id, 60_000)
    assert.equal(job.state, 'failed')
    const error = job.stages[0].error ?? ''
    assert.match(error, /Parser error.*bracket-v2\.scad, line 2/, 'the error names the user\'s file and the line')
    const said = [error, ...(await node.jobStore.events(job.id, 0)).map(e => e.message)].join('\n')
    assert.match(said, /bracket-v2\.scad/)
    for (const internal of [join(dir, 'renderer'), '/work/', '/job/', 'input.scad']) {
      assert.ok(!said.includes(internal), `nothing the user reads names ${internal}:\n${said}`)
    }
  })
}
