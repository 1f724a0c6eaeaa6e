import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { pickWinner } from '../../src/requester/coordinator.js'
import type { BidRecord } from '../../src/jobs/job.js'

function bid (peerId: string, etaMs: number, extra: Partial<BidRecord> = {}): BidRecord {
  return { attempt: 1, peerId, peerName: peerId, accept: true, reason: 'openscad 2021.01', etaMs, cached: false, busy: false, holdsInput: false, ...extra }
}

test('no bids, or only refusals, means no winner', () => {
  assert.equal(pickWinner([]), undefined)
  assert.equal(pickWinner([bid('a', 1, { accept: false, reason: 'queue full (8 stages)' }), bid('b', 0, { accept: false, reason: 'has no printer' })]), undefined)
})

test('on equal estimates the peer that already holds the input wins', () => {
  assert.equal(pickWinner([bid('a', 200), bid('b', 200, { holdsInput: true }), bid('c', 300, { holdsInput: true })])?.peerId, 'b')
})

test('a cached result wins over an earlier finish; then the earliest finish; then the lower peer id', () => {
  assert.equal(pickWinner([bid('a', 10), bid('b', 5_000, { cached: true }), bid('c', 1)])?.peerId, 'b')
  assert.equal(pickWinner([bid('a', 300), bid('b', 200), bid('c', 900)])?.peerId, 'b')
  assert.equal(pickWinner([bid('p2', 200), bid('p1', 200), bid('p3', 200)])?.peerId, 'p1')
  assert.equal(pickWinner([bid('p2', 0, { cached: true }), bid('p1', 0, { cached: true })])?.peerId, 'p1')
})

test('a stage awarded to a peer while the round was open counts against its bid: a burst of stages spreads over idle peers', () => {
  const idle = [bid('p1', 150), bid('p2', 150), bid('p3', 150)]
  const awarded = new Map<string, number>()
  const winners = Array.from({ length: 6 }, () => {
    const winner = pickWinner(idle, (peerId) => awarded.get(peerId) ?? 0)?.peerId as string
    awarded.set(winner, (awarded.get(winner) ?? 0) + 1)
    return winner
  })
  assert.deepEqual(winners, ['p1', 'p2', 'p3', 'p1', 'p2', 'p3'])
  // A peer that has run nothing bids to finish at once while a slot is free; once given a stage it counts as
  // a peer whose runs take UNKNOWN_RUN_MS, as it would then bid itself.
  const since = (peerId: string): number => peerId === 'new' ? 1 : 0
  assert.equal(pickWinner([bid('new', 0), bid('known', 1_500)], since)?.peerId, 'known')
  assert.equal(pickWinner([bid('new', 0), bid('known', 2_500)], since)?.peerId, 'new')
  // A cached result still wins whatever was awarded since.
  assert.equal(pickWinner([bid('a', 0, { cached: true }), bid('b', 10)], () => 5)?.peerId, 'a')
})

test('a refusal never wins, however good its numbers', () => {
  assert.equal(pickWinner([bid('a', 0, { accept: false, cached: true, reason: 'does not take jobs from this peer' }), bid('b', 9_000)])?.peerId, 'b')
})

const bids = fc.uniqueArray(fc.record({
  peerId: fc.stringMatching(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{4}$/),
  etaMs: fc.nat({ max: 5 }),
  cached: fc.boolean(),
  accept: fc.boolean()
}), { selector: b => b.peerId, maxLength: 12 }).map(list => list.map(b => bid(b.peerId, b.etaMs, b)))

test('the choice depends on the bids, not the order they arrived in, and nothing accepting beats it', () => {
  const withShuffle = bids.chain(list => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })))
  fc.assert(fc.property(withShuffle, ([list, shuffled]) => {
    const winner = pickWinner(list)
    assert.equal(pickWinner(shuffled)?.peerId, winner?.peerId)
    const accepting = list.filter(b => b.accept)
    if (accepting.length === 0) return assert.equal(winner, undefined)
    assert.ok(winner?.accept)
    for (const other of accepting) {
      if (other.cached !== winner.cached) assert.ok(winner.cached)
      else assert.ok(winner.etaMs <= other.etaMs)
    }
  }), { numRuns: 300 })
})

test('the input list is left as it came', () => {
  const list = [bid('b', 2), bid('a', 1)]
  pickWinner(list)
  assert.deepEqual(list.map(b => b.peerId), ['b', 'a'])
})
