import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RecentMap } from '../../src/store/recent-map.js'

test('RecentMap keeps the entries set or touched last, and lets the oldest go', () => {
  const map = new RecentMap<string, number>(2)
  map.set('a', 1)
  map.set('b', 2)
  assert.equal(map.touch('a'), 1)
  map.set('c', 3)
  assert.equal(map.get('b'), undefined, 'b was used least recently')
  assert.equal(map.get('a'), 1)
  assert.equal(map.get('c'), 3)
  map.set('c', 4)
  map.set('d', 5)
  assert.equal(map.get('a'), undefined, 'setting c again made a the oldest')
  assert.deepEqual([map.get('c'), map.get('d')], [4, 5])
  assert.equal(map.touch('missing'), undefined)
})
