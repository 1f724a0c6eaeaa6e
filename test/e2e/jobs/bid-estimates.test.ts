import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { meshnode } from '../../cli/host-daemon.js'
import { jobEnded, startRequesterAndExecutor, tempDir } from '../../market/mesh-fixture.js'

test('a bid shows a finish time only from the winner\'s own runs of that kind of work at about that size', async (t) => {
  const dir = await tempDir(t, 'meshnode-estimates-')
  const { requester, executor } = await startRequesterAndExecutor(t, dir)
  const executorName = executor.config.name
  const run = async (name: string, bytes: number): Promise<string> => {
    const file = join(dir, name)
    await writeFile(file, Buffer.alloc(bytes, name))
    const [job] = await requester.jobs.submit({ files: [file], extra: [], pipeline: ['slow'], options: { params: {} } })
    assert.equal((await jobEnded(requester, job.id)).state, 'done')
    const shown = await meshnode(['job', job.id, '--data-dir', requester.config.dataDir])
    assert.equal(shown.code, 0, shown.stderr)
    const line = shown.stdout.split('\n').find(l => l.includes(`bid     ${executorName}:`))
    assert.ok(line != null, `meshnode job shows the executor's bid:\n${shown.stdout}`)
    return line
  }

  const first = await run('first.stl', 10_000)
  assert.match(first, /accepts \(slow configured\)/)
  assert.doesNotMatch(first, /finish in/, 'a peer that never ran this kind of work shows no estimate')
  const again = await run('again.stl', 12_000)
  assert.match(again, /accepts, finish in ~\d+(\.\d+)? m?s \(from its runs at this size\)/, 'after a run at about this size it does')
  const bigger = await run('bigger.stl', 1_000_000)
  assert.doesNotMatch(bigger, /finish in/, 'an input a hundred times bigger has no history to go by')
})
