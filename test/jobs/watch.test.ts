import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ControlClient } from '../../src/api/control-client.js'
import { slowService, startPeer, tempDir } from '../market/mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'

test('watching a batch sends every job once, then only the job that changed, and ends with all of them', async (t) => {
  const dir = await tempDir(t, 'meshnode-watch-')
  const node = await startPeer(t, dir, 'node', async c => { c.services = [await slowService(dir, 0)] })
  const files: string[] = []
  for (let i = 0; i < 4; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  const client = await ControlClient.connect(node.config.dataDir)
  t.after(() => { client.close() })

  const submitted: JobRecord[] = await client.call('submit', { files, pipeline: ['slow'] })
  const updates: string[][] = []
  const finished: JobRecord[] = await client.call('watch', { ids: submitted.map(j => j.id) }, (event: { jobs: JobRecord[] }) => {
    updates.push(event.jobs.map(j => j.id))
  })

  assert.deepEqual(updates[0].sort(), submitted.map(j => j.id).sort(), 'the first update has every job')
  assert.ok(updates.length > 1, 'the jobs changed while watched')
  for (const update of updates.slice(1)) assert.equal(update.length, 1, `a later update carries the one job that changed, not ${update.length}`)
  assert.deepEqual(finished.map(j => j.state), ['done', 'done', 'done', 'done'])
})

test('a watch without progress sends nothing until every job has ended, then all of them', async (t) => {
  const dir = await tempDir(t, 'meshnode-watch-')
  const node = await startPeer(t, dir, 'node', async c => { c.services = [await slowService(dir, 0)] })
  const files = [join(dir, 'a.txt'), join(dir, 'b.txt')]
  for (const file of files) await writeFile(file, `${file}\n`)
  const client = await ControlClient.connect(node.config.dataDir)
  t.after(() => { client.close() })

  const submitted: JobRecord[] = await client.call('submit', { files, pipeline: ['slow'] })
  let events = 0
  const finished: JobRecord[] = await client.call('watch', { ids: submitted.map(j => j.id), progress: false }, () => { events++ })
  assert.equal(events, 0)
  assert.deepEqual(finished.map(j => j.state), ['done', 'done'])
})
