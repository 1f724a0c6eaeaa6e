import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { scadDefineArgs } from '../../src/executors/scad-params.js'
import { isOutsidePath } from '../../src/executors/scad-scan.js'

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/)
const number = fc.double({ noNaN: true, noDefaultInfinity: true }).map(n => String(n)).filter(s => !s.includes('Infinity'))
const plainString = fc.string({ maxLength: 40 }).filter(s => !/["\\\u0000-\u001f\u007f]/.test(s) && !isOutsidePath(s)).map(s => `"${s}"`)
const vector = fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 6 }).map(v => `[${v.join(', ')}]`)
const literal = fc.oneof(number, plainString, vector, fc.constantFrom('true', 'false'))

test('literal -D values become name=value arguments', () => {
  fc.assert(fc.property(name, literal, (n, v) => {
    assert.deepEqual(scadDefineArgs({ [n]: v }), ['-D', `${n}=${v}`])
  }))
  assert.deepEqual(scadDefineArgs({ width: '20', label: '"wall \\"A\\""', size: '[1, 2.5, -3e2]', gusset: 'false' }),
    ['-D', 'width=20', '-D', 'label="wall \\"A\\""', '-D', 'size=[1, 2.5, -3e2]', '-D', 'gusset=false'])
})

test('expressions, code and control characters are refused before OpenSCAD runs', () => {
  const hostile = ['1; import("/etc/passwd")', 'width', '1+1', 'str("a")', '"a" + b', '"unterminated', '"a"b"', '"\\x2fetc"',
    '"line\nbreak"', '[1, "a"]', '[[1,2]]', '', ' 1', 'NaN', 'undef', '$fn', '"\u0007"', 'true;', '-', '1e', '0x10']
  for (const value of hostile) {
    assert.throws(() => scadDefineArgs({ width: value }), { name: 'ScadParameterError' }, JSON.stringify(value))
  }
  for (const bad of ['1x', 'a-b', 'a b', '$fn', 'a=1', '', 'x'.repeat(65), 'é']) {
    assert.throws(() => scadDefineArgs({ [bad]: '1' }), { name: 'ScadParameterError' }, JSON.stringify(bad))
  }
})

test('a string that is a path out of the job folder is refused: a design could hand it to import() or an extrude', () => {
  for (const value of ['"/etc/passwd"', '"/abs/secret.dxf"', '"../secret.scad"', '"a/../../b"', '"~/.ssh/id_rsa"', '"C:/x"', '"\\\\server\\\\share"']) {
    assert.throws(() => scadDefineArgs({ f: value }), { name: 'ScadParameterError', message: /is a path outside the job's folder/ }, value)
  }
  assert.deepEqual(scadDefineArgs({ f: '"logo.dxf"', label: '"1/2 inch"' }), ['-D', 'f="logo.dxf"', '-D', 'label="1/2 inch"'])
})

test('no accepted value can carry a statement separator or escape a string', () => {
  fc.assert(fc.property(name, fc.string({ maxLength: 30 }), (n, v) => {
    let accepted = false
    try {
      scadDefineArgs({ [n]: v })
      accepted = true
    } catch (err) {
      assert.equal((err as Error).name, 'ScadParameterError')
    }
    if (accepted) {
      const outsideStrings = v.replace(/"(?:[^"\\]|\\.)*"/g, '""')
      assert.ok(!/[;(){}=\n\\]/.test(outsideStrings), `accepted ${JSON.stringify(v)}`)
      assert.ok(!/[\u0000-\u001f]/.test(v), `accepted control characters in ${JSON.stringify(v)}`)
    }
  }), { numRuns: 2000 })
})
