import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { call, ls } from './library-helpers.js'
import { SCAD } from './design-files.js'
import type { EntryView } from '../../src/library/entry.js'
import type { JobRecord } from '../../src/jobs/job.js'

test('the library on one peer: add, find, show, version, tag, submit with its outputs coming back, remove', async (t) => {
  const dir = await tempDir(t, 'library-')
  const copy = await slowService(dir, 0)
  const node = await startPeer(t, dir, 'shop', c => { c.services = [copy]; unsandboxed(c) })
  const design = join(dir, 'bracket.scad')
  const part = join(dir, 'holes.scad')
  await writeFile(design, `include <holes.scad>\n${SCAD}`)
  await writeFile(part, 'module hole() { cylinder(d = 3, h = 10); }\n')
  await writeFile(join(dir, 'hinge.scad'), 'cube(5);\n')

  const [added] = await call(node, 'library.add', { files: [design], extra: [part], author: 'Alice', tags: ['brackets', 'pla'], license: 'CC-BY-4.0', source: 'https://example.org/bracket' })
  assert.equal(added.outcome, 'new')
  const id: string = added.entry.id
  assert.deepEqual(added.entry.versions[0].files.map((f: any) => f.name), ['bracket.scad', 'holes.scad'])
  await call(node, 'library.add', { files: [join(dir, 'hinge.scad')], tags: ['hinges'], author: 'Bob' })

  assert.deepEqual((await ls(node, { tag: 'brackets' })).map(e => e.id), [id])
  assert.deepEqual((await ls(node, { author: 'alice' })).map(e => e.id), [id])
  assert.deepEqual((await ls(node, { text: 'brack CC' })).map(e => e.id), [id])
  assert.equal((await ls(node, { text: 'holes' })).length, 1, 'found by an included file\'s name')
  assert.equal((await ls(node)).length, 2)

  const again = await call(node, 'library.add', { files: [design], extra: [part] })
  assert.deepEqual([again[0].outcome, again[0].entry.id], ['unchanged', id], 'the same content is the same entry')
  await writeFile(design, `include <holes.scad>\n${SCAD}\ncube(1);\n`)
  const changed = await call(node, 'library.add', { files: [design], extra: [part], to: id.slice(0, 6) })
  assert.equal(changed[0].outcome, 'version')
  assert.equal(changed[0].entry.versions.length, 2)

  const tagged: EntryView = await call(node, 'library.tag', { id, add: ['m3'], remove: ['pla'] })
  assert.deepEqual(tagged.tags, ['brackets', 'm3'])

  const jobs: JobRecord[] = await call(node, 'library.submit', { id, pipeline: ['slow'] })
  const job = await jobEnded(node, jobs[0].id, 60_000)
  assert.equal(job.state, 'done', job.error)
  assert.equal(job.input.hash, changed[0].entry.versions[1].files[0].hash, 'the newest version is submitted')
  const withOutput = await waitFor(async () => {
    const shown: EntryView = await call(node, 'library.show', { id })
    return shown.outputs.length > 0 ? shown : undefined
  }, { timeoutMs: 20_000, what: 'the job\'s output to reach the entry' })
  assert.equal(withOutput.outputs[0].job, job.id)
  assert.equal(withOutput.outputs[0].file?.hash, job.stages[0].output?.hash)
  assert.deepEqual(withOutput.holders[job.stages[0].output?.hash as string], [node.libp2p.peerId.toString()], 'the output is a blob of the entry, kept like its files')

  await call(node, 'library.rm', { id })
  assert.deepEqual((await ls(node, { tag: 'brackets' })), [])
  await assert.rejects(call(node, 'library.show', { id }), { name: 'EntryNotFoundError' })
  await assert.rejects(call(node, 'library.tag', { id: 'ffffffffffff', add: ['x'] }), { name: 'EntryNotFoundError' })
  await writeFile(join(dir, 'notes.txt'), 'milk\neggs\n')
  await assert.rejects(call(node, 'library.add', { files: [join(dir, 'notes.txt')] }), { name: 'UnknownDesignTypeError', message: /OpenSCAD source \(\.scad\), STL/ })
  await assert.rejects(call(node, 'library.tag', { id: tagged.id.slice(0, 4), add: ['bad tag!'] }), { name: /EntryNotFoundError|BadEntryFieldError/ })
})
