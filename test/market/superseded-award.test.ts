import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { DirectChannel } from '../../src/market/direct.js'
import { waitFor } from '../lan/wait.js'
import { jobEnded, startPeer, tempDir } from './mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'

/** A design the embedded OpenSCAD takes a few seconds over: long enough to award it again mid-run. */
const SLOW_DESIGN = 'for (i = [0:700]) for (j = [0:700]) if (sin(i * j) > 2) cube(1);\ncube(1);\n'

test('a superseded run that ends late never overwrites the newer award\'s record on the executor', async (t) => {
  const dir = await tempDir(t, 'meshnode-supersede-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  // The embedded engine starts no process, so nothing but the stage's start and end writes its record; one
  // stage at a time, so the newer award starts just as the superseded run ends.
  const executor = await startPeer(t, dir, 'executor', c => {
    c.tools = { ...c.tools, openscad: false, embedded: { openscad: true, cura: false } }
    c.offers = ['scad']
    c.market.maxConcurrent = 1
  })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => {
    if (!requester.capabilities.peers().some(p => p.record.offers.includes('scad'))) throw new Error('executor not listed yet')
    return true
  }, { timeoutMs: 10_000, what: 'the requester to see the executor' })
  const work = executor.db.sublevel<string, { token: number, state: string }>('work', { valueEncoding: 'json' })

  const input = join(dir, 'part.scad')
  await writeFile(input, SLOW_DESIGN)
  const [submitted] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['scad'], options: { params: {} } })
  const key = `${submitted.id}:0`
  await waitFor(async () => {
    if ((await work.get(key))?.state !== 'running') throw new Error('not running')
    return true
  }, { timeoutMs: 15_000, what: 'the first award to run' })
  const first = await requester.jobStore.get(submitted.id) as JobRecord
  const newer = first.stages[0].token + 1

  // The requester awards the stage again, to the same peer, as after a lease it thought had lapsed.
  await requester.jobStore.update(submitted.id, first.rev, j => { j.stages[0].token = newer })
  const spec = {
    jobId: submitted.id, index: 0, attempt: first.stages[0].attempt, kind: 'scad', input: first.stages[0].input, extra: [], params: new Map(),
    profile: '', printer: '', material: '', requester: requester.libp2p.peerId.toString(), requesterName: 'requester'
  }
  const answer = await new DirectChannel(requester.libp2p).send(executor.libp2p.peerId.toString(), {
    kind: MarketRequest.Kind.OFFER, stage: spec, token: newer, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [], wantOutput: true
  })
  assert.equal(answer.status, MarketResponse.Status.OK)

  // The first run stops and writes its end, and the newer award starts rendering; the record a restart would
  // resume from must be the newer award's.
  await new Promise(resolve => setTimeout(resolve, 500))
  const record = await work.get(key)
  assert.equal(record?.token, newer, 'the stored work record is the newer award\'s')
  assert.equal(record?.state, 'running')

  const done = await jobEnded(requester, submitted.id)
  assert.equal(done.state, 'done', done.error)
  assert.equal(done.stages[0].token, newer)
})
