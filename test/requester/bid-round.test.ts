import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BidRounds } from '../../src/requester/bid-round.js'
import type { Bid, StageSpec } from '../../protocols/market.js'

function stage (attempt = 1): StageSpec {
  return { jobId: 'job-1', index: 0, attempt, kind: 'scad', extra: [], params: new Map(), profile: '', printer: '', material: '', requester: 'me', requesterName: 'me' }
}

function bid (spec: StageSpec, bidderName: string, extra: Partial<Bid> = {}): Bid {
  return { jobId: spec.jobId, index: spec.index, attempt: spec.attempt, bidderName, accept: true, reason: 'openscad 2021.01', etaMs: 100, etaKnown: true, cached: false, busy: false, holdsInput: false, ...extra }
}

test('a bid round driven by stubs: it closes once every capable peer has answered, keeping only bids for its attempt', async () => {
  const announced: StageSpec[] = []
  const rounds: BidRounds = new BidRounds({
    self: 'me',
    // The peers answer as the announcement goes out: a third bids for an older attempt, the two capable ones for this one.
    announce: async spec => {
      announced.push(spec)
      setImmediate(() => {
        rounds.receive(bid({ ...spec, attempt: spec.attempt - 1 }, 'stale'), 'peer-c')
        rounds.receive(bid(spec, 'a', { etaMs: 300 }), 'peer-a')
        rounds.receive(bid(spec, 'b', { accept: false, reason: 'has no printer' }), 'peer-b')
      })
    },
    ownBid: async spec => bid(spec, 'me', { accept: false, reason: 'offers nothing' }),
    // Were the round not closed early, the test would time out.
    windowMs: () => 10 * 60_000
  })
  const spec = stage(2)
  const bids = await rounds.collect(spec, new Set(['peer-a', 'peer-b']))
  assert.deepEqual(announced, [spec])
  assert.deepEqual(bids.map(b => [b.peerId, b.peerName, b.accept, b.etaMs, b.attempt]).sort(), [
    ['me', 'me', false, 100, 2],
    ['peer-a', 'a', true, 300, 2],
    ['peer-b', 'b', false, 100, 2]
  ])
})

test('a round with no capable peer waits out its window, then gives what it has', async () => {
  const rounds = new BidRounds({ self: 'me', announce: async () => {}, ownBid: async spec => bid(spec, 'me'), windowMs: () => 50 })
  const bids = await rounds.collect(stage(), new Set())
  assert.deepEqual(bids.map(b => b.peerId), ['me'])
})
