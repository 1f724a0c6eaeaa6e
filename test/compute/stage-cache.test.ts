import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { BlobStore } from '../../src/blobs/index.js'
import { StageCache } from '../../src/compute/stage-cache.js'
import { openDb } from '../../src/store/open-db.js'
import { chunksOf, tempDir } from '../blobs/fixtures.js'
import type { StageSpec } from '../../protocols/market.js'
import type { ToolInfo } from '../../src/executors/executor.js'

const OPENSCAD: ToolInfo = { stage: 'scad', name: 'openscad', version: '2021.01', embedded: false }

/** A scad stage of `design` (its content is `hash`), as a requester announces it. */
function scadStage (design: string, hash: string): StageSpec {
  return { jobId: 'j1', index: 0, attempt: 1, kind: 'scad', input: { hash, size: 9, name: design, holders: [] }, extra: [], params: new Map(), profile: '', printer: '', material: '', requester: 'p', requesterName: 'laptop' }
}

test('an identical design under another name gets the cached output named after its own file', async (t) => {
  const dir = await tempDir(t)
  const db = await openDb(dir)
  t.after(async () => { await db.close() })
  const store = await BlobStore.open(join(dir, 'blobs'))
  const stl = await store.write(chunksOf(Buffer.from('solid x\nendsolid x\n')))
  const cache = new StageCache(db, store)
  const design = 'a'.repeat(64)
  await cache.remember(scadStage('plate.scad', design), OPENSCAD, { hash: stl.hash, size: stl.size, name: 'plate.stl', holders: ['p'] })

  const hit = await cache.lookup(scadStage('x ; rm -rf ~.scad', design), OPENSCAD)
  assert.deepEqual(hit, { hash: stl.hash, size: stl.size, name: 'x ; rm -rf ~.stl', holders: [] })
  assert.equal((await cache.lookup(scadStage('plate.scad', design), OPENSCAD))?.name, 'plate.stl')
  assert.equal(await cache.lookup(scadStage('plate.scad', 'b'.repeat(64)), OPENSCAD), undefined, 'other content is a miss')

  // What an older peer stored: the first job's whole output, name and all. It must not name anyone's output.
  const [key] = await db.sublevel('stage-cache').keys().all()
  await db.sublevel<string, unknown>('stage-cache', { valueEncoding: 'json' }).put(key, { hash: stl.hash, size: stl.size, name: 'plate.stl', holders: ['p'] })
  assert.equal(await cache.lookup(scadStage('other.scad', design), OPENSCAD), undefined, 'an entry without a suffix is a miss')
})
