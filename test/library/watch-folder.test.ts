import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { OWNER } from '../../src/api/caller.js'
import { jobEnded, slowService, startPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { call, ls } from './library-helpers.js'
import { binaryStl, SCAD } from './design-files.js'
import type { EntryView } from '../../src/library/entry.js'
import type { WatchEvent } from '../../src/library/watch-folder.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

/** Watches `dir` through the API as `meshnode watch` does, until the test ends; the events it streams. */
async function watchFolder (t: TestContext, node: MeshNode, dir: string, params: Record<string, unknown>): Promise<WatchEvent[]> {
  const events: WatchEvent[] = []
  const caller = new AbortController()
  const watching = node.api.call('library.watch', { dir, ...params }, { caller: OWNER, emit: e => { events.push(e as WatchEvent) }, signal: caller.signal })
  t.after(async () => { caller.abort(); await watching })
  return events
}

async function nextEvent (events: WatchEvent[], file: string, seen: number): Promise<WatchEvent> {
  return waitFor(() => events.filter(e => e.file === file)[seen], { timeoutMs: 30_000, what: `event ${seen + 1} of ${file}` })
}

test('a watch folder: a new file runs once, the same content rewritten runs nothing, a change is a new version, others are refused or recognised', async (t) => {
  const dir = await tempDir(t, 'library-watch-')
  const copy = await slowService(dir, 0)
  const node = await startPeer(t, dir, 'shop', c => { c.services = [copy]; unsandboxed(c) })
  const folder = join(dir, 'inbox')
  await mkdir(folder)
  const events = await watchFolder(t, node, folder, { pipeline: ['slow'], tags: ['inbox'] })
  const jobsRun = async (): Promise<number> => (await node.jobStore.list()).length

  await writeFile(join(folder, 'bracket.scad'), SCAD)
  const added = await nextEvent(events, 'bracket.scad', 0)
  assert.equal(added.outcome, 'new', added.reason)
  assert.equal(added.jobs?.length, 1)
  assert.equal((await jobEnded(node, added.jobs[0], 60_000)).state, 'done')
  assert.deepEqual((await ls(node, { tag: 'inbox' })).map(e => e.id), [added.entry])

  await writeFile(join(folder, 'bracket.scad'), SCAD)
  const same = await nextEvent(events, 'bracket.scad', 1)
  assert.equal(same.outcome, 'unchanged')
  assert.equal(same.jobs, undefined)
  assert.equal(await jobsRun(), 1, 'the same content runs nothing')

  await writeFile(join(folder, 'bracket.scad'), `${SCAD}cube(2);\n`)
  const changed = await nextEvent(events, 'bracket.scad', 2)
  assert.equal(changed.outcome, 'version')
  assert.equal(changed.entry, added.entry)
  assert.equal((await call<EntryView>(node, 'library.show', { id: added.entry })).versions.length, 2)
  assert.equal((await jobEnded(node, changed.jobs?.[0] as string, 60_000)).state, 'done')
  assert.equal(await jobsRun(), 2)

  await writeFile(join(folder, 'notes.txt'), 'buy filament\n')
  const refused = await nextEvent(events, 'notes.txt', 0)
  assert.equal(refused.outcome, 'refused')
  assert.match(refused.reason ?? '', /OpenSCAD source \(\.scad\), STL, ASCII or binary \(\.stl\), 3MF \(\.3mf\), G-code \(\.gcode\)/)

  await writeFile(join(folder, 'scan-0042'), binaryStl(12))
  const mesh = await nextEvent(events, 'scan-0042', 0)
  assert.equal(mesh.outcome, 'new', mesh.reason)
  const job = await jobEnded(node, mesh.jobs?.[0] as string, 60_000)
  assert.equal(job.input.name, 'scan-0042.stl', 'known as an STL by its content')

  await rm(join(folder, 'bracket.scad'))
  await new Promise(resolve => setTimeout(resolve, 1000))
  assert.equal((await ls(node, { tag: 'inbox' })).length, 2, 'deleting a file deletes nothing in the library')
  assert.equal(events.filter(e => e.outcome === 'failed').length, 0, JSON.stringify(events))
})

test('a file of no known type goes to the configured classify service, which may name its type', async (t) => {
  const dir = await tempDir(t, 'library-classify-')
  const asked: string[] = []
  const service = createServer((req, res) => {
    asked.push(decodeURIComponent(String(req.headers['x-file-name'])))
    req.resume()
    req.on('end', () => { res.end(JSON.stringify({ type: String(req.headers['x-file-name']).endsWith('.dat') ? 'stl' : null })) })
  })
  await new Promise<void>(resolve => service.listen(0, '127.0.0.1', resolve))
  t.after(() => { service.close() })
  const port = (service.address() as { port: number }).port
  const node = await startPeer(t, dir, 'shop', c => { c.library.classifyUrl = `http://127.0.0.1:${port}/classify` })
  await writeFile(join(dir, 'odd.dat'), 'made by an odd exporter\n')
  await writeFile(join(dir, 'odd.txt'), 'shopping list\n')
  const [{ entry }] = await call(node, 'library.add', { files: [join(dir, 'odd.dat')] })
  assert.equal(entry.versions[0].files[0].name, 'odd.dat.stl')
  await assert.rejects(call(node, 'library.add', { files: [join(dir, 'odd.txt')] }), { name: 'UnknownDesignTypeError' })
  assert.deepEqual(asked, ['odd.dat', 'odd.txt'])
})
