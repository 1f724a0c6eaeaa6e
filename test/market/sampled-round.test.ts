import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, tempDir } from './mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

const EXECUTORS = 5
const JOBS = 5

test('a round asks a few peers first and the others only when none of them takes the stage: the one peer that can run it still gets every stage, and every refusal says why', async (t) => {
  const dir = await tempDir(t, 'meshnode-sampled-')
  const slow = await slowService(dir, 0.05)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  const asked = new Map<string, number>()
  for (let i = 0; i < EXECUTORS; i++) {
    const name = `executor-${i}`
    // All offer the stage; all but the last refuse this requester's jobs for good.
    const executor = await startPeer(t, dir, name, c => {
      c.services = [slow]
      if (i < EXECUTORS - 1) c.trust = { ...c.trust, submit: ['someone-else'] }
    })
    const bid = executor.work.bid.bind(executor.work)
    executor.work.bid = async spec => {
      asked.set(name, (asked.get(name) ?? 0) + 1)
      return await bid(spec)
    }
    await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  }
  await waitFor(async () => requester.capabilities.peers().filter(p => p.record.offers.includes('slow')).length === EXECUTORS, { timeoutMs: 10_000, what: 'the requester to see every executor' })

  const files: string[] = []
  for (let i = 0; i < JOBS; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['slow'], options: { params: {} } })
  for (const job of jobs) {
    const ended = await jobEnded(requester, job.id, 60_000)
    assert.equal(ended.state, 'done', ended.error)
    assert.equal(ended.stages[0].peerName, `executor-${EXECUTORS - 1}`)
    const refusals = ended.stages[0].bids.filter(b => !b.accept && b.peerId !== requester.libp2p.peerId.toString())
    for (const refusal of refusals) assert.match(refusal.reason, /does not take jobs from requester/, `${refusal.peerName} says why`)
  }
  const total = [...asked.values()].reduce((sum, n) => sum + n, 0)
  assert.ok(total < EXECUTORS * JOBS, `${total} bids for ${JOBS} stages on ${EXECUTORS} peers: every round asked every peer`)
  assert.equal(asked.get(`executor-${EXECUTORS - 1}`), JOBS, 'the one peer that takes the stages was asked once for each')
})
