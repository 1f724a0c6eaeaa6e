import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { MarketRequest, MarketResponse, type StageSpec } from '../../protocols/market.js'
import { DirectChannel, type Request } from '../../src/market/direct.js'
import { waitFor } from '../lan/wait.js'
import { jobEnded, slowService, startPeer, tempDir, unsandboxed } from './mesh-fixture.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { JobRecord } from '../../src/jobs/job.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

/** An award of a `slow` stage with its input inside, as `from` would send it for a job of its own. */
function offerFrom (from: MeshNode, jobId: string, content: string, token = 1): Request {
  const bytes = Buffer.from(content)
  const hash = createHash('sha256').update(bytes).digest('hex')
  const stage: StageSpec = {
    jobId, index: 0, attempt: 1, kind: 'slow', input: { hash, size: bytes.length, name: 'part.txt', holders: [from.libp2p.peerId.toString()] }, extra: [],
    params: new Map(), profile: '', printer: '', material: '', requester: from.libp2p.peerId.toString(), requesterName: from.config.name
  }
  return { kind: MarketRequest.Kind.OFFER, stage, token, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [{ hash, content: bytes }], wantOutput: false }
}

/** A mesh member that runs nothing and requests nothing, connected to `to`: it only sends what the test makes it send. */
async function member (t: TestContext, dir: string, to: MeshNode): Promise<{ node: MeshNode, channel: DirectChannel }> {
  const node = await startPeer(t, dir, 'member', c => { c.offers = [] })
  await node.libp2p.dial(to.libp2p.getMultiaddrs()[0])
  return { node, channel: new DirectChannel(node.libp2p) }
}

/** A requester that offers nothing and an executor of a `slow` service of `seconds`, once the requester lists it. */
async function requesterAndExecutor (t: TestContext, dir: string, seconds: number, change: (c: NodeConfig) => void = () => {}): Promise<{ requester: MeshNode, executor: MeshNode }> {
  const slow = await slowService(dir, seconds)
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [slow]; unsandboxed(c); change(c) })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('slow')), { timeoutMs: 10_000, intervalMs: 50, what: 'the requester to see the executor' })
  return { requester, executor }
}

async function runs (dir: string): Promise<string[]> {
  return existsSync(join(dir, 'slow.runs')) ? (await readFile(join(dir, 'slow.runs'), 'utf8')).trim().split('\n') : []
}

async function workRecords (node: MeshNode): Promise<string[]> {
  const keys: string[] = []
  for await (const key of node.db.sublevel<string, unknown>('work', { valueEncoding: 'json' }).keys()) keys.push(key)
  return keys
}

test('an offer that answers no bid is refused, saying so, and nothing of it is kept or run; nor may it take over another requester\'s stage', async (t) => {
  const dir = await tempDir(t, 'meshnode-offer-nobid-')
  const { requester, executor } = await requesterAndExecutor(t, dir, 2)
  const { node, channel } = await member(t, dir, executor)
  const executorId = executor.libp2p.peerId.toString()

  const stray = offerFrom(node, 'j0000000000aa', 'never announced\n')
  const answer = await channel.send(executorId, stray)
  assert.equal(answer.status, MarketResponse.Status.FORBIDDEN)
  assert.match(answer.message, /no bid of executor answers this award/)
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.deepEqual(await runs(dir), [], 'the tool never ran')
  assert.deepEqual(await workRecords(executor), [], 'no work record was written')
  assert.equal(await executor.blobStore.has(stray.stage?.input?.hash as string), false, 'the inline input was not kept')

  // A real job's stage runs there; the member awards itself the same stage under a newer token.
  const input = join(dir, 'part.txt')
  await writeFile(input, 'a real part\n')
  const [job] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  await waitFor(async () => (await runs(dir)).length === 1, { timeoutMs: 15_000, intervalMs: 50, what: 'the real stage to run' })
  const takeover = await channel.send(executorId, offerFrom(node, job.id, 'a takeover\n', 50))
  assert.equal(takeover.status, MarketResponse.Status.FORBIDDEN, takeover.message)
  const done = await jobEnded(requester, job.id)
  assert.equal(done.state, 'done', done.error)
  assert.equal(done.stages[0].token, 1, 'the stage kept its award')
  assert.equal((await runs(dir)).length, 1, 'the tool ran once, for the real job')
})

test('an award passes the queue cap a bid passes: an executor whose queue filled since its bid declines it', async (t) => {
  const dir = await tempDir(t, 'meshnode-offer-cap-')
  // One stage at a time: four waiting fill the queue. A bid counts as queued work for 40 ms.
  const { requester, executor } = await requesterAndExecutor(t, dir, 2, c => { c.market.maxConcurrent = 1; c.market.bidWindowMs = 20 })
  const { node, channel } = await member(t, dir, executor)

  // The member's stage is bid for (as its announcement would be), then the requester's jobs fill the queue.
  const late = offerFrom(node, 'j0000000000bb', 'awarded late\n')
  const bid = await executor.work.bid(late.stage as StageSpec)
  assert.equal(bid.accept, true, bid.reason)
  await new Promise(resolve => setTimeout(resolve, 100))
  const files = await Promise.all([1, 2, 3, 4].map(async n => {
    const file = join(dir, `part-${n}.txt`)
    await writeFile(file, `part ${n}\n`)
    return file
  }))
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['slow'], options: { params: {} } })
  await waitFor(async () => {
    const records = await Promise.all(jobs.map(async j => requester.jobStore.get(j.id) as Promise<JobRecord>))
    return records.every(r => r.stages[0].state === 'running')
  }, { timeoutMs: 15_000, intervalMs: 50, what: 'the four jobs to be awarded to the executor' })

  const answer = await channel.send(executor.libp2p.peerId.toString(), late)
  assert.equal(answer.status, MarketResponse.Status.DECLINED)
  assert.match(answer.message, /queue full \(4 stages\)/)
  assert.ok(!(await workRecords(executor)).includes('j0000000000bb:0'), 'the declined award was not queued')
  for (const job of jobs) assert.equal((await jobEnded(requester, job.id, 60_000)).state, 'done')
  assert.equal((await runs(dir)).length, 4, 'only the four real stages ran')
})

test('a flood of direct offers from a mesh member leaves a real job\'s time within 2x of its time alone', async (t) => {
  const dir = await tempDir(t, 'meshnode-offer-flood-')
  const { requester, executor } = await requesterAndExecutor(t, dir, 1)
  const { node, channel } = await member(t, dir, executor)
  const executorId = executor.libp2p.peerId.toString()
  const runJob = async (name: string): Promise<number> => {
    const input = join(dir, name)
    await writeFile(input, `${name}\n`)
    const began = Date.now()
    const [job] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
    assert.equal((await jobEnded(requester, job.id)).state, 'done')
    return Date.now() - began
  }
  await runJob('warm-up.txt')
  const alone = await runJob('alone.txt')

  // 400 offers for stages the member never announced, each with its input inside, all sent at once.
  const flood = Promise.all(Array.from({ length: 400 }, async (_, i) => channel.send(executorId, offerFrom(node, `j${i.toString(16).padStart(12, '0')}`, `flood ${i}\n`))))
  const during = await runJob('during.txt')
  const answers = await flood
  assert.ok(during <= 2 * alone, `the job took ${during} ms during the flood, ${alone} ms alone`)
  assert.deepEqual([...new Set(answers.map(a => a.status))], [MarketResponse.Status.FORBIDDEN], 'every offer was refused')
  assert.equal((await runs(dir)).length, 3, 'only the three real stages ran')
  assert.deepEqual(await workRecords(executor), [], 'no offer of the flood was written down')
})
