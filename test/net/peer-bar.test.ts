import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerBar } from '../../src/net/peer-bar.js'
import { newPeerId, stubbedGuard } from './guard-fixture.js'
import type { TopicRule } from '../../src/net/gossip-guard.js'

const junk: TopicRule = { topic: 'a', maxBytes: 64, check: () => { throw new Error('junk') } }

test('a peer hung up on for its rejected messages is barred: libp2p neither dials it nor lets it in until the bar lapses', async () => {
  const bar = new PeerBar()
  const { guard, judge, hungUp } = stubbedGuard({ topics: ['a'], strikes: 3, bar, barMs: 200 })
  guard.guard(junk)
  const flooder = await newPeerId()
  const other = await newPeerId()
  for (let i = 0; i < 2; i++) await judge('a', new TextEncoder().encode('junk'), flooder)
  assert.equal(bar.barred(flooder), false, 'not barred before its last strike')
  await judge('a', new TextEncoder().encode('junk'), flooder)
  assert.deepEqual(hungUp, [flooder.toString()])
  const gater = bar.gater()
  assert.deepEqual(await Promise.all([gater.denyDialPeer?.(flooder), gater.denyInboundEncryptedConnection?.(flooder, undefined as any), gater.denyOutboundEncryptedConnection?.(flooder, undefined as any)]), [true, true, true])
  assert.deepEqual(await Promise.all([gater.denyDialPeer?.(other), gater.denyInboundEncryptedConnection?.(other, undefined as any)]), [false, false], 'other peers are let in')
  await new Promise(resolve => setTimeout(resolve, 250))
  assert.equal(await gater.denyDialPeer?.(flooder), false, 'the bar lapses')
})

test('the bar holds a bounded number of peers, letting the one barred longest ago go first', async () => {
  const bar = new PeerBar()
  const first = await newPeerId()
  bar.bar(first, 60_000)
  for (let i = 0; i < 10_000; i++) bar.bar(`peer-${i}`, 60_000)
  assert.equal(bar.barred(first), false)
  assert.equal(bar.barred('peer-9999'), true)
  assert.equal(bar.barred('peer-0'), true)
})
