import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { newPeerId, stubbedGuard } from './guard-fixture.js'
import type { TopicRule } from '../../src/net/gossip-guard.js'

const { Accept, Reject } = TopicValidatorResult
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** A topic whose messages must read "ok". */
const okRule = (topic: string, rest: Partial<TopicRule> = {}): TopicRule => ({
  topic,
  maxBytes: 16,
  check: (data) => { if (new TextDecoder().decode(data) !== 'ok') throw new Error('not ok') },
  ...rest
})

test('the guard judges each topic by the rule its room handed it: size first, then the check', async () => {
  const { guard, judge } = stubbedGuard({ topics: ['a', 'b'] })
  guard.guard(okRule('a'))
  guard.guard(okRule('b', { check: () => { throw new Error('nothing passes here') } }))
  const peer = await newPeerId()
  assert.equal(await judge('a', bytes('ok'), peer), Accept)
  assert.equal(await judge('a', bytes('not ok'), peer), Reject)
  let checked = false
  guard.guard(okRule('a', { check: () => { checked = true } }))
  assert.equal(await judge('a', new Uint8Array(17), peer), Reject, 'over the size limit')
  assert.equal(checked, false, 'an oversized message is rejected before it is read')
  assert.equal(await judge('b', bytes('ok'), peer), Reject)
})

test('a sound message the rule finds not worth passing on is ignored, without a strike against the peer', async () => {
  const { guard, judge, hungUp } = stubbedGuard({ topics: ['a'], strikes: 1 })
  guard.guard(okRule('a', { check: () => 'ignore' }))
  const peer = await newPeerId()
  assert.equal(await judge('a', bytes('a copy'), peer), TopicValidatorResult.Ignore)
  assert.equal(await judge('a', bytes('a copy'), peer), TopicValidatorResult.Ignore)
  assert.deepEqual(hungUp, [], 'one strike would have hung up')
})

test('a rule for a topic libp2p does not score is refused at assembly, and stop takes the validators away', async () => {
  const { guard, validators } = stubbedGuard({ topics: ['a'] })
  assert.throws(() => { guard.guard(okRule('unscored')) }, /not scored/)
  guard.guard(okRule('a'))
  assert.deepEqual([...validators.keys()], ['a'])
  guard.stop()
  assert.equal(validators.size, 0)
})

test('each topic has its own rate per forwarding peer: a flood on one topic leaves the others and the other peers alone', async () => {
  const { guard, judge } = stubbedGuard({ topics: ['slow', 'fast'], rate: { perSecond: 0.001, burst: 5 }, strikes: 1000 })
  guard.guard(okRule('slow', { rate: { perSecond: 0.001, burst: 2 } }))
  guard.guard(okRule('fast'))
  const flooder = await newPeerId()
  const other = await newPeerId()
  const results = []
  for (let i = 0; i < 4; i++) results.push(await judge('slow', bytes('ok'), flooder))
  assert.deepEqual(results, [Accept, Accept, Reject, Reject], 'the slow topic takes a burst of two')
  assert.equal(await judge('fast', bytes('ok'), flooder), Accept, 'the flooder on another topic')
  assert.equal(await judge('slow', bytes('ok'), other), Accept, 'another peer on the flooded topic')
})

test('a peer whose messages are rejected on any topics, enough times together, is hung up on; the author is handed to the check', async () => {
  const { guard, judge, hungUp } = stubbedGuard({ topics: ['a', 'b'], strikes: 4 })
  const authors: string[] = []
  guard.guard(okRule('a', { check: (data, { author }) => { authors.push(author); throw new Error('forged') } }))
  guard.guard(okRule('b'))
  const forwarder = await newPeerId()
  const author = await newPeerId()
  for (let i = 0; i < 2; i++) await judge('a', bytes('ok'), author, forwarder)
  await judge('b', bytes('junk'), forwarder)
  assert.deepEqual(hungUp, [])
  await judge('b', bytes('junk'), forwarder)
  assert.deepEqual(hungUp, [forwarder.toString()], 'the forwarder is hung up on, not the author')
  assert.deepEqual(authors, [author.toString(), author.toString()])
})
