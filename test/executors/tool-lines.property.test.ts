import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { once } from 'node:events'
import { test } from 'node:test'
import fc from 'fast-check'
import { LineSplitter, readLines } from '../../src/executors/tool-lines.js'
import { cutAt } from '../cut-at.js'

const lineText = fc.string({ maxLength: 40, unit: 'grapheme' }).map(s => s.replace(/[\r\n]/g, ''))

function split (chunks: string[], maxLine?: number): string[] {
  const lines: string[] = []
  const splitter = new LineSplitter(line => lines.push(line), maxLine)
  for (const chunk of chunks) splitter.push(chunk)
  splitter.end()
  return lines
}

test('any output, however the pipe cuts it, gives back its lines, with or without a last newline or \\r\\n', () => {
  fc.assert(fc.property(fc.array(lineText, { maxLength: 20 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }),
    (lines, crlf, lastNewline, cuts) => {
      const ending = crlf ? '\r\n' : '\n'
      const text = lines.join(ending) + (lastNewline && lines.length > 0 ? ending : '')
      const expected = lastNewline || lines.length === 0 || lines.at(-1) !== '' ? lines : lines.slice(0, -1)
      assert.deepEqual(split(cutAt(text, cuts)), expected)
    }), { numRuns: 500 })
})

test('text that never ends a line comes out in pieces no longer than the limit, nothing lost', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 300 }).map(s => s.replace(/\n/g, '')), fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(), { maxLength: 10 }),
    (text, maxLine, cuts) => {
      const pieces = split(cutAt(text, cuts), maxLine)
      assert.ok(pieces.every(piece => piece.length <= maxLine), 'every piece is within the limit')
      assert.equal(pieces.join(''), text.endsWith('\r') ? text.slice(0, -1) : text)
    }), { numRuns: 500 })
})

test('a character split between two reads of a pipe arrives whole', async () => {
  const stream = new PassThrough()
  const lines: string[] = []
  readLines(stream, line => lines.push(line))
  const bytes = Buffer.from('Mesh: 1 Ø 3 mm ✓\nlast')
  stream.write(bytes.subarray(0, 10))
  stream.end(bytes.subarray(10))
  await once(stream, 'end')
  assert.deepEqual(lines, ['Mesh: 1 Ø 3 mm ✓', 'last'])
})
