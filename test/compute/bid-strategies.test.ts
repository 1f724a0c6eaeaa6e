import assert from 'node:assert/strict'
import { statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { test } from 'node:test'
import fc from 'fast-check'
import { ANY_PEER, defaultConfig, type NodeConfig } from '../../src/config/node-config.js'
import { diskRefusal, firstRefusal, freeDiskBytes, hasTool, offersStage, resourceVerdict, RunHistory, trustsRequester, type SemanticStrategy } from '../../src/compute/bid-strategies.js'
import type { Refusal } from '../../src/jobs/job.js'
import { UNKNOWN_RUN_MS } from '../../src/market/constants.js'
import type { StageSpec } from '../../protocols/market.js'
import type { Executor } from '../../src/executors/executor.js'

const SELF = 'peer-self'
const STRANGER = 'peer-stranger'
const FRIEND = 'peer-friend'

function spec (kind: string, requester = STRANGER): StageSpec {
  return { jobId: 'j1', index: 0, attempt: 1, kind, extra: [], params: new Map(), profile: '', printer: '', material: '', requester, requesterName: requester }
}

function executor (stage: string): Executor {
  return { tool: { stage, name: `${stage}-tool`, version: '1.0', embedded: false }, run: async () => { throw new Error('not run in these tests') } }
}

/** An open mesh's config unless `change` keys it: open, a printer takes prints from itself alone. */
function config (change: (c: NodeConfig) => void = () => {}): NodeConfig {
  const c = defaultConfig()
  c.open = true
  change(c)
  return c
}

/** The semantic strategies in the order the node assembles them. */
function semantic (c: NodeConfig, tools: string[], printers: string[]): SemanticStrategy[] {
  return [offersStage(() => c), trustsRequester(() => c, SELF), hasTool(() => tools.map(executor), () => printers)]
}

/**
 * A semantic refusal is a reason a user can read, and is for good: this node will not take the stage later
 * either, so the requester must not wait for it.
 */
function refused (refusal: Refusal | null): void {
  assert.ok(refusal != null, 'expected a refusal')
  assert.ok(refusal.reason.trim().length > 0)
  assert.notEqual(refusal.busy, true)
}

test('offers: no list offers everything; a list offers only its stages, with a reason for the rest', () => {
  assert.equal(offersStage(() => config())(spec('slice')), null)
  assert.equal(offersStage(() => config(c => { c.offers = ['scad', 'slice'] }))(spec('slice')), null)
  refused(offersStage(() => config(c => { c.offers = ['scad'] }))(spec('slice')))
  refused(offersStage(() => config(c => { c.offers = [] }))(spec('scad')))
})

test('tools: a stage needs an executor for it; a print needs a printer', () => {
  const strategy = (tools: string[], printers: string[]): SemanticStrategy => hasTool(() => tools.map(executor), () => printers)
  assert.equal(strategy(['scad'], [])(spec('scad')), null)
  refused(strategy(['scad'], [])(spec('slice')))
  refused(strategy(['scad', 'slice'], [])(spec('print')))
  assert.equal(strategy([], ['mk3'])(spec('print')), null)
  refused(strategy([], ['mk3'])(spec('stl-repair')))
})

test('trust by default in an open mesh: compute stages from anyone, prints from no other peer, everything from itself', () => {
  const trust = trustsRequester(() => config(), SELF)
  assert.equal(trust(spec('scad', STRANGER)), null)
  assert.equal(trust(spec('slice', STRANGER)), null)
  assert.equal(trust(spec('stl-repair', STRANGER)), null)
  refused(trust(spec('print', STRANGER)))
  assert.equal(trust(spec('print', SELF)), null)
})

test('trust by default in a keyed mesh: prints from any member, and a config or --trust-print list still decides', () => {
  const keyed = trustsRequester(() => config(c => { c.open = false }), SELF)
  assert.equal(keyed(spec('print', STRANGER)), null)
  const refusal = trustsRequester(() => config(c => { c.open = false; c.trust.print = [FRIEND] }), SELF)(spec('print', STRANGER))
  refused(refusal)
  assert.equal(refusal?.reason, `does not take prints from ${STRANGER} (${STRANGER}) (see trust.print, --trust-print)`)
  refused(trustsRequester(() => config(c => { c.open = false; c.trust.print = [] }), SELF)(spec('print', STRANGER)))
})

test('trust from config: named print peers, "*" for anyone, and a closed submit list', () => {
  const named = trustsRequester(() => config(c => { c.trust.print = [FRIEND] }), SELF)
  assert.equal(named(spec('print', FRIEND)), null)
  refused(named(spec('print', STRANGER)))
  const open = trustsRequester(() => config(c => { c.trust.print = [ANY_PEER] }), SELF)
  assert.equal(open(spec('print', STRANGER)), null)
  const closed = trustsRequester(() => config(c => { c.trust.submit = [FRIEND] }), SELF)
  assert.equal(closed(spec('slice', FRIEND)), null)
  refused(closed(spec('slice', STRANGER)))
  assert.equal(closed(spec('slice', SELF)), null)
  // Trust for prints does not open compute, nor the reverse.
  const printOnly = trustsRequester(() => config(c => { c.trust.submit = []; c.trust.print = [FRIEND] }), SELF)
  refused(printOnly(spec('scad', FRIEND)))
  const computeOnly = trustsRequester(() => config(c => { c.trust.submit = [FRIEND] }), SELF)
  refused(computeOnly(spec('print', FRIEND)))
})

test('strategies read the config when asked, so a changed config takes effect at once', () => {
  const current = config()
  const trust = trustsRequester(() => current, SELF)
  refused(trust(spec('print', FRIEND)))
  current.trust.print = [FRIEND]
  assert.equal(trust(spec('print', FRIEND)), null)
})

test('firstRefusal answers with the first strategy that refuses and asks no further', () => {
  const asked: string[] = []
  const strategy = (name: string, reason: string | null): SemanticStrategy => () => { asked.push(name); return reason == null ? null : { reason } }
  assert.deepEqual(firstRefusal([strategy('a', null), strategy('b', 'no b'), strategy('c', 'no c')], spec('scad')), { reason: 'no b' })
  assert.deepEqual(asked, ['a', 'b'])
  assert.equal(firstRefusal([], spec('scad')), null)
  assert.equal(firstRefusal([strategy('d', null)], spec('scad')), null)
})

test('a printer node that trusts nobody refuses a stranger\'s print for trust, not for lack of a printer', () => {
  const c = config(c => { c.offers = ['print'] })
  const refusal = firstRefusal(semantic(c, [], ['mk3']), spec('print', STRANGER))
  refused(refusal)
  assert.deepEqual(refusal, trustsRequester(() => c, SELF)(spec('print', STRANGER)))
  assert.equal(firstRefusal(semantic(c, [], ['mk3']), spec('print', SELF)), null)
  // A stage it does not offer is refused for that, before trust or tools are asked.
  assert.deepEqual(firstRefusal(semantic(c, ['scad'], ['mk3']), spec('scad', STRANGER)), offersStage(() => c)(spec('scad')))
})

test('a full queue refuses for now (busy), otherwise bids a finish time that grows with the queue', () => {
  fc.assert(fc.property(fc.nat({ max: 200 }), fc.nat({ max: 200 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 3_600_000 }), (queued, running, max, typical) => {
    const verdict = resourceVerdict({ queued, running }, max, typical)
    const waiting = queued + running
    assert.equal(verdict.accept, waiting < max * 4)
    if (!verdict.accept) {
      assert.ok(verdict.reason.trim().length > 0)
      assert.equal(verdict.busy, true)
      return
    }
    assert.equal(verdict.busy, false)
    assert.ok(verdict.etaMs >= typical)
    if (waiting + 1 < max * 4) assert.ok(resourceVerdict({ queued: queued + 1, running }, max, typical).etaMs >= verdict.etaMs)
  }), { numRuns: 500 })
  assert.equal(resourceVerdict({ queued: 0, running: 0 }, 2, 1000).etaMs, 1000)
  assert.equal(resourceVerdict({ queued: 6, running: 2 }, 2, 1000).accept, false)
})

test('a node that never ran the kind bids to finish at once while it has a free slot, then as if runs took 2 s', () => {
  fc.assert(fc.property(fc.nat({ max: 200 }), fc.nat({ max: 200 }), fc.integer({ min: 1, max: 32 }), (queued, running, max) => {
    const verdict = resourceVerdict({ queued, running }, max, undefined)
    const waiting = queued + running
    assert.equal(verdict.accept, waiting < max * 4)
    if (!verdict.accept) return
    assert.equal(verdict.etaMs, waiting < max ? 0 : resourceVerdict({ queued, running }, max, UNKNOWN_RUN_MS).etaMs)
  }), { numRuns: 500 })
  // An idle newcomer beats an idle peer that knows its renders take 100 ms; once its slot is taken, it does not.
  assert.ok(resourceVerdict({ queued: 0, running: 0 }, 1, undefined).etaMs < resourceVerdict({ queued: 0, running: 0 }, 1, 100).etaMs)
  assert.ok(resourceVerdict({ queued: 1, running: 0 }, 1, undefined).etaMs > resourceVerdict({ queued: 3, running: 0 }, 1, 100).etaMs)
})

test('run history knows nothing of a kind until it ran once, then follows what runs took', () => {
  const history = new RunHistory()
  assert.equal(history.typicalMs('slice'), undefined)
  for (let i = 0; i < 30; i++) history.record('slice', 10_000)
  assert.ok(Math.abs((history.typicalMs('slice') ?? 0) - 10_000) < 1)
  assert.equal(history.typicalMs('scad'), undefined)
  history.record('slice', 0)
  const typical = history.typicalMs('slice') ?? 0
  assert.ok(typical < 10_000 && typical > 0)
})

const MiB = 1024 * 1024

test('a disk below its floor plus twice the input refuses for now, saying how much is free and what it keeps', () => {
  assert.equal(diskRefusal(600 * MiB, 512 * MiB, 0), null)
  assert.equal(diskRefusal(532 * MiB, 512 * MiB, 10 * MiB), null)
  const low = diskRefusal(300 * MiB, 512 * MiB, 0)
  assert.deepEqual(low, { reason: 'low on disk: 300 MiB free, keeps 512 MiB free', busy: true })
  const big = diskRefusal(530 * MiB, 512 * MiB, 10 * MiB)
  assert.deepEqual(big, { reason: 'low on disk: 530 MiB free, keeps 512 MiB free plus twice the input (10 MiB)', busy: true })
  // Never more free than there is: 511.99 MiB reads 511, below a floor of 512.
  assert.match(diskRefusal(512 * MiB - 10_000, 512 * MiB, 0)?.reason ?? '', /511 MiB free/)
  assert.equal(diskRefusal(3.96 * MiB, 512 * MiB, 14)?.reason, 'low on disk: 3.9 MiB free, keeps 512 MiB free plus twice the input (14 bytes)')
  assert.equal(diskRefusal(0.25 * MiB, 1 * MiB, 0)?.reason, 'low on disk: 256 KiB free, keeps 1 MiB free')
  fc.assert(fc.property(fc.nat(), fc.nat(), fc.nat({ max: 2 ** 40 }), (free, floor, input) => {
    const refusal = diskRefusal(free, floor, input)
    assert.equal(refusal == null, free >= floor + 2 * input)
    if (refusal != null) assert.equal(refusal.busy, true)
  }), { numRuns: 500 })
})

test('free disk is what an unprivileged writer may use on the data dir\'s file system', async () => {
  const fs = await statfs(tmpdir())
  const free = await freeDiskBytes(tmpdir())
  assert.ok(Math.abs(free - fs.bavail * fs.bsize) < 64 * MiB, `${free} bytes free against statfs ${fs.bavail * fs.bsize}`)
  await assert.rejects(freeDiskBytes('/no/such/dir'), { code: 'ENOENT' })
})
