import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { DirectChannel } from '../../src/market/direct.js'
import { jobEnded, startRequesterAndExecutor, tempDir } from './mesh-fixture.js'

test('an offer repeated after its result was taken is answered, not set up and run again', async (t) => {
  const dir = await tempDir(t, 'meshnode-repeat-')
  const { requester, executor } = await startRequesterAndExecutor(t, dir)

  const input = join(dir, 'part.txt')
  await writeFile(input, 'run me once\n')
  const [submitted] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  const done = await jobEnded(requester, submitted.id)
  assert.equal(done.state, 'done', done.error)
  const stage = done.stages[0]
  const work = join(dir, 'executor', 'work')
  const folder = `${done.id}-0-${stage.token}`
  // The result is acknowledged just before the job is done; give the executor a moment to forget the award.
  await new Promise(resolve => setTimeout(resolve, 200))

  // What the requester sends when it asks the holder of a late lease: the same award, the same token.
  const asRequester = new DirectChannel(requester.libp2p)
  const spec = {
    jobId: done.id, index: 0, attempt: stage.attempt, kind: 'slow', input: stage.input, extra: [], params: new Map(),
    profile: '', printer: '', material: '', requester: requester.libp2p.peerId.toString(), requesterName: 'requester'
  }
  const answer = await asRequester.send(executor.libp2p.peerId.toString(), {
    kind: MarketRequest.Kind.OFFER, stage: spec, token: stage.token, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [], wantOutput: true
  })
  assert.equal(answer.status, MarketResponse.Status.OK)
  assert.equal(answer.message, 'already finished and reported')
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.deepEqual((await readFile(join(dir, 'slow.runs'), 'utf8')).trim().split('\n'), [join(work, folder, 'input.txt')], 'the tool ran once, in the award\'s folder')
  assert.deepEqual((await readdir(work)).filter(d => d.startsWith(done.id)), [], 'the award\'s folder, removed after the run, was not set up again')
})
