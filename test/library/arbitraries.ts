import fc from 'fast-check'
import { formatStamp } from '../../src/library/hlc.js'
import type { LibraryEntry, LibraryFile, Register } from '../../src/library/entry.js'

/** Stamps from a few peers over a short time, so that ties and equal walls happen. */
export const stamp = fc.tuple(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_020 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('peerA', 'peerB', 'peerC'))
  .map(([wall, counter, node]) => formatStamp(wall, counter, node))
export const hash = fc.stringMatching(/^[0-9a-f]{64}$/)
export const tag = fc.constantFrom('brackets', 'pla', 'jig', 'v2', 'printed')
const text = fc.constantFrom('', 'Bracket', 'Hinge', 'Alice', 'Bob')
const register = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Register<T>> => fc.record({ value, at: stamp })
export const file: fc.Arbitrary<LibraryFile> = fc.record({ name: fc.constantFrom('a.scad', 'b.stl', 'lib.scad'), hash, size: fc.nat({ max: 10_000 }) })
const dots = fc.uniqueArray(stamp, { maxLength: 3 }).map(d => d.sort())

/** States of one entry ("e1") as different peers could hold them. */
export const entryState: fc.Arbitrary<LibraryEntry> = fc.record({
  id: fc.constant('0123456789ab'),
  created: stamp,
  name: register(text),
  author: register(text),
  license: register(text),
  source: register(text),
  tags: fc.dictionary(tag, fc.record({ added: dots, removed: dots }), { noNullPrototype: true }),
  versions: fc.dictionary(fc.constantFrom('1'.repeat(64), '2'.repeat(64), `${'1'.repeat(64)}+${'3'.repeat(64)}`), fc.record({ files: fc.array(file, { minLength: 1, maxLength: 2 }), at: stamp }), { noNullPrototype: true }),
  outputs: fc.dictionary(fc.constantFrom('j1/0', 'j1/1', 'j2/0'), fc.record({ job: fc.constant('j1'), stage: fc.nat({ max: 2 }), kind: fc.constantFrom('scad', 'slice'), version: fc.constant('1'.repeat(64)), params: fc.constant({}), state: fc.constant('done'), at: stamp }), { noNullPrototype: true }),
  holders: fc.dictionary(fc.constantFrom('a'.repeat(64), 'b'.repeat(64)), fc.uniqueArray(fc.constantFrom('peerA', 'peerB', 'peerC'), { maxLength: 3 }).map(h => h.sort()), { noNullPrototype: true }),
  removed: register(fc.boolean())
})
