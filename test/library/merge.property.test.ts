import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { editTags, newEntry } from '../../src/library/edits.js'
import { currentTags } from '../../src/library/entry.js'
import { HybridClock } from '../../src/library/hlc.js'
import { mergeEntry } from '../../src/library/merge.js'
import { entryState, tag } from './arbitraries.js'

/** Merged states compared as peers compare them: by their encoding. */
const same = (a: unknown, b: unknown): void => { assert.equal(JSON.stringify(a), JSON.stringify(b)) }
/** What a peer stores: a merge with itself puts the keys in order. */
const stored = <T extends Parameters<typeof mergeEntry>[0]>(e: T): T => mergeEntry(e, e) as T

test('merge is commutative: two peers that exchange their states hold the same entry', () => {
  fc.assert(fc.property(entryState, entryState, (a, b) => { same(mergeEntry(a, b), mergeEntry(b, a)) }), { numRuns: 500 })
})

test('merge is associative: the order in which three peers\' states arrive does not matter', () => {
  fc.assert(fc.property(entryState, entryState, entryState, (a, b, c) => { same(mergeEntry(mergeEntry(a, b), c), mergeEntry(a, mergeEntry(b, c))) }), { numRuns: 500 })
})

test('merge is idempotent: a state received twice changes nothing the second time', () => {
  fc.assert(fc.property(entryState, entryState, (a, b) => {
    const once = mergeEntry(a, b)
    same(mergeEntry(once, b), once)
    same(mergeEntry(once, once), once)
    same(mergeEntry(stored(a), a), stored(a))
  }), { numRuns: 500 })
})

test('tags edited on two peers apart: both adds survive, a remove takes only what its peer had seen', () => {
  fc.assert(fc.property(fc.uniqueArray(tag, { maxLength: 3 }), fc.uniqueArray(tag, { maxLength: 3 }), fc.uniqueArray(tag, { maxLength: 3 }), (start, addA, removeB) => {
    const a = new HybridClock('peerA', () => 1000)
    const b = new HybridClock('peerB', () => 1000)
    const base = newEntry('0123456789ab', { name: 'bracket', tags: start }, [{ name: 'a.scad', hash: 'a'.repeat(64), size: 1 }], a.now())
    b.observe(base.created)
    const onA = editTags(base, addA, [], a.now())
    const onB = editTags(base, [], removeB, b.now())
    const merged = mergeEntry(onA, onB)
    same(merged, mergeEntry(onB, onA))
    const expected = new Set([...start.filter(t => !removeB.includes(t)), ...addA])
    assert.deepEqual(currentTags(merged.tags), [...expected].sort())
  }))
})

test('a later edit of a field wins wherever it merges; a clock that saw a stamp stamps later', () => {
  const a = new HybridClock('peerA', () => 5000)
  const b = new HybridClock('peerB', () => 1000)
  const made = newEntry('0123456789ab', { name: 'first' }, [{ name: 'a.scad', hash: 'a'.repeat(64), size: 1 }], a.now())
  b.observe(made.name.at)
  const renamed = { ...made, name: { value: 'second', at: b.now() } }
  assert.equal(mergeEntry(made, renamed).name.value, 'second')
  assert.equal(mergeEntry(renamed, made).name.value, 'second')
})

test('a clock follows a peer that runs a little ahead, but not one a day or more ahead', () => {
  const clock = new HybridClock('peerA', () => 1_000_000)
  clock.observe('000000001000500.000003.peerB')
  assert.equal(clock.now(), '000000001000500.000004.peerA')
  clock.observe(`${String(1_000_000 + 2 * 24 * 3600_000).padStart(15, '0')}.000000.peerC`)
  assert.equal(clock.now(), '000000001000500.000005.peerA')
})
