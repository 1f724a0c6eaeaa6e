import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import fc from 'fast-check'
import { GossipMessage } from '../../protocols/market.js'
import { JOBS_TOPIC } from '../../src/market/constants.js'
import { JOBS_TOPIC_RULE } from '../../src/market/jobs-topic.js'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import { waitFor } from '../lan/wait.js'
import { newPeerId, stubbedGuard } from '../net/guard-fixture.js'
import { gossipMessage } from './arbitraries.js'
import { slowService, startPeer, tempDir } from './mesh-fixture.js'

test('the guard refuses a bid on the jobs topic (bids go straight to their requester) and lets announcements and awards through', async () => {
  const { guard, judge } = stubbedGuard({ topics: [JOBS_TOPIC], strikes: Infinity })
  guard.guard(JOBS_TOPIC_RULE)
  const requester = await newPeerId()
  await fc.assert(fc.asyncProperty(gossipMessage, async (message) => {
    const judged = await judge(JOBS_TOPIC, GossipMessage.encode(message), requester)
    assert.equal(judged, message.kind === GossipMessage.Kind.BID ? TopicValidatorResult.Reject : TopicValidatorResult.Accept)
  }))
})

test('a peer flooding the jobs topic with garbage is disconnected, and the node keeps working', async (t) => {
  const dir = await tempDir(t, 'meshnode-guard-')
  const slow = await slowService(dir, 0)
  const node = await startPeer(t, dir, 'node', c => { c.services = [slow] })
  const flooder = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
  t.after(async () => { await flooder.stop() })
  flooder.services.pubsub.subscribe(JOBS_TOPIC)
  await flooder.dial(node.libp2p.getMultiaddrs()[0])
  await waitFor(async () => { if (flooder.services.pubsub.getSubscribers(JOBS_TOPIC).length === 0) throw new Error('no subscribers yet'); return true }, { timeoutMs: 10_000, what: 'the node to subscribe' })

  const garbage = new TextEncoder().encode('not a market message')
  for (let i = 0; i < 80 && node.libp2p.getConnections(flooder.peerId).length > 0; i++) {
    await flooder.services.pubsub.publish(JOBS_TOPIC, garbage).catch(() => {})
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  await waitFor(async () => { if (node.libp2p.getConnections(flooder.peerId).length > 0) throw new Error('still connected'); return true }, { timeoutMs: 10_000, what: 'the node to hang up on the flooder' })

  const input = join(dir, 'part.txt')
  await writeFile(input, 'after the flood\n')
  const [job] = await node.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  const done = await waitFor(async () => {
    const record = await node.jobStore.get(job.id)
    if (record?.state !== 'done') throw new Error(record?.state)
    return record
  }, { timeoutMs: 20_000, what: 'a job after the flood to finish' })
  assert.equal(done.state, 'done')
})
