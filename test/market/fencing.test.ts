import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { DirectChannel } from '../../src/market/direct.js'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import { waitFor } from '../lan/wait.js'
import { jobEnded, slowService, startPeer, tempDir } from './mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'

test('forged renewals, results and offers from a third peer change nothing; the job ends with the real result', async (t) => {
  const dir = await tempDir(t, 'meshnode-fencing-')
  const slow = await slowService(dir, 2)
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [slow]; c.offers = ['slow'] })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => { if (requester.capabilities.peers().length === 0) throw new Error('not yet'); return true }, { timeoutMs: 10_000, what: 'the peers to know each other' })

  const mallory = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
  t.after(async () => { await mallory.stop() })
  const channel = new DirectChannel(mallory)
  await mallory.dial(requester.libp2p.getMultiaddrs()[0])
  await mallory.dial(executor.libp2p.getMultiaddrs()[0])

  const input = join(dir, 'part.txt')
  await writeFile(input, 'the real input\n')
  const [submitted] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  const running = await waitFor(async () => {
    const job = await requester.jobStore.get(submitted.id) as JobRecord
    if (job.stages[0].state !== 'running') throw new Error(job.stages[0].state)
    return job
  }, { timeoutMs: 15_000, what: 'the stage to run on the executor' })
  const stage = running.stages[0]
  assert.equal(stage.peerId, executor.libp2p.peerId.toString())

  const spec = {
    jobId: submitted.id, index: 0, attempt: stage.attempt, kind: 'slow', input: stage.input, extra: [], params: new Map(),
    profile: '', printer: '', material: '', requester: requester.libp2p.peerId.toString(), requesterName: 'requester'
  }
  // The forged result even carries its output inline, with a matching sha256: the requester must not keep it.
  const evil = Buffer.from('forged output\n')
  const evilHash = createHash('sha256').update(evil).digest('hex')
  const forged = { stage: spec, progress: 100, log: ['forged'], command: [], cached: false, tool: 'forged', started: true, retryable: false, inline: [{ hash: evilHash, content: evil }], wantOutput: false }
  const fakeOutput = { hash: evilHash, size: evil.byteLength, name: 'evil.out', holders: [mallory.peerId.toString()] }
  const requesterId = requester.libp2p.peerId.toString()
  for (const token of [stage.token, stage.token + 1]) {
    const renew = await channel.send(requesterId, { ...forged, kind: MarketRequest.Kind.RENEW, token, ok: false, error: '' })
    assert.equal(renew.status, MarketResponse.Status.REVOKED, 'a renewal from a peer that does not hold the award is refused')
    const result = await channel.send(requesterId, { ...forged, kind: MarketRequest.Kind.RESULT, token, ok: true, output: fakeOutput, error: '' })
    assert.equal(result.status, MarketResponse.Status.REVOKED, 'a result from a peer that does not hold the award is refused')
  }
  assert.equal(await requester.blobStore.has(evilHash), false, 'the forged inline output was not kept')
  const offer = await channel.send(executor.libp2p.peerId.toString(), { ...forged, kind: MarketRequest.Kind.OFFER, token: 99, ok: false, error: '' })
  assert.equal(offer.status, MarketResponse.Status.FORBIDDEN, 'only the requester named in a stage can award it')
  assert.equal(await executor.blobStore.has(evilHash), false, 'the inline file of a forged offer was not kept')

  const done = await jobEnded(requester, submitted.id)
  assert.equal(done.state, 'done')
  assert.equal(done.stages[0].peerId, executor.libp2p.peerId.toString())
  assert.notEqual(done.stages[0].output?.hash, fakeOutput.hash, 'the forged output was never recorded')
  assert.equal(done.stages[0].token, stage.token, 'the stage was never re-awarded')
  const events = await requester.jobStore.events(submitted.id)
  assert.ok(!events.some(e => e.message.includes('forged')), 'no forged log line reached the job')
})
