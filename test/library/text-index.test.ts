import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { splitWords, TextIndex } from '../../src/library/text-index.js'

test('an entry is found by the starts of all its words, and not once it is changed or deleted', () => {
  const index = new TextIndex()
  index.set('a', 'M3 Bracket v2 brackets pla bracket_m3.scad')
  index.set('b', 'Hinge Alice pla')
  assert.deepEqual([...index.search('brack')], ['a'])
  assert.deepEqual([...index.search('PLA')].sort(), ['a', 'b'])
  assert.deepEqual([...index.search('pla hin')], ['b'])
  assert.deepEqual([...index.search('pla hinge bracket')], [])
  index.set('a', 'Clip')
  assert.deepEqual([...index.search('bracket')], [])
  index.delete('b')
  assert.deepEqual([...index.search('pla')], [])
  assert.deepEqual([...index.search('')], [])
})

test('the index finds exactly the entries a scan of their words finds', () => {
  const words = fc.array(fc.constantFrom('bracket', 'brace', 'hinge', 'pla', 'petg', 'm3', 'm4', 'jig'), { maxLength: 5 }).map(w => w.join(' '))
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), words), fc.constantFrom('br', 'bracket', 'm', 'pla jig', 'h m4', 'zzz'), (docs, query) => {
    const index = new TextIndex()
    for (const [id, text] of Object.entries(docs)) index.set(id, text)
    const expected = Object.entries(docs).filter(([, text]) => splitWords(query).every(q => splitWords(text).some(w => w.startsWith(q)))).map(([id]) => id).sort()
    assert.deepEqual([...index.search(query)].sort(), expected)
  }))
})
