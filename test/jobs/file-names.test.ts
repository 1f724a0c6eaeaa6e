import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { checkFileName, extensionOf, nameAfter, outputName, suffixAfter } from '../../src/jobs/file-names.js'

/** Strings built mostly from the characters that make a name dangerous, so the property meets them often. */
const risky = fc.string({ unit: fc.constantFrom('a', 'Z', '7', '_', '-', '.', '..', '/', '\\', '\0', ' ', ':', '~', 'é', '\n'), maxLength: 140 })
const longPlain = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{100,140}$/)
const anyString = fc.string({ unit: 'binary', maxLength: 140 })

function accepted (name: string): boolean {
  try {
    assert.equal(checkFileName(name), name)
    return true
  } catch (err) {
    assert.equal((err as Error).name, 'UnsafeFileNameError', (err as Error).stack)
    return false
  }
}

test('no accepted name holds a separator, NUL or "..", starts with ".", or is empty or over 128', () => {
  fc.assert(fc.property(fc.oneof(risky, longPlain, anyString), (name) => {
    if (!accepted(name)) return
    assert.ok(name.length >= 1 && name.length <= 128, `length ${name.length}`)
    for (const bad of ['/', '\\', '\0', '..']) assert.ok(!name.includes(bad), `${JSON.stringify(name)} holds ${JSON.stringify(bad)}`)
    assert.ok(!name.startsWith('.'))
    assert.match(name, /^[A-Za-z0-9._-]+$/)
  }), { numRuns: 2000 })
})

test('ordinary design file names pass unchanged', () => {
  for (const name of ['part.scad', 'Bracket_v2.STL', 'lib-common.scad', 'logo.dxf', '_private.scad', 'a', 'x'.repeat(128), '3DBenchy.gcode']) {
    assert.equal(checkFileName(name), name)
  }
})

test('names that climb, hide, carry NUL or a path, look like options, or run too long are refused by name', () => {
  for (const name of ['', '.', '..', '../etc/passwd', 'a/../b', '/etc/passwd', 'C:\\x.scad', 'a\\b', '.hidden', 'part.scad\0.png', 'a..b', 'x'.repeat(129), 'part\n.scad', 'space name.scad', '-rf']) {
    assert.throws(() => checkFileName(name), { name: 'UnsafeFileNameError' }, JSON.stringify(name))
  }
})

test('extensionOf gives the lower-cased last extension, or "" when there is none', () => {
  assert.equal(extensionOf('part.scad'), '.scad')
  assert.equal(extensionOf('PART.STL'), '.stl')
  assert.equal(extensionOf('archive.tar.gz'), '.gz')
  assert.equal(extensionOf('Makefile'), '')
  assert.equal(extensionOf('.scad'), '')
})

test('an output is named after its input: the tool\'s extension, or its own plain name, on the input\'s stem', () => {
  assert.equal(outputName('part.scad', 'input.stl'), 'part.stl')
  assert.equal(outputName('x ; rm -rf ~.stl', 'input.gcode'), 'x ; rm -rf ~.gcode')
  assert.equal(outputName('part.gcode', 'print-report.json'), 'part.print-report.json')
  assert.equal(outputName('part.scad', '../../etc/passwd.stl'), 'part.stl', 'a tool name that is not plain keeps only a safe extension')
})

test('a stored output renamed for another input has the name it would have had if made from that input', () => {
  const name = fc.string({ unit: fc.constantFrom('a', 'Z', '.', ' ', ';', '~', '-', 'é', 'scad', 'stl'), maxLength: 30 })
  const tool = fc.oneof(fc.constantFrom('input.stl', 'input.gcode', 'print-report.json', 'input.', 'weird name.out'), name)
  fc.assert(fc.property(name, name, tool, (first, second, toolOutput) => {
    const made = outputName(first, toolOutput)
    assert.equal(nameAfter(second, suffixAfter(first, made)), outputName(second, toolOutput))
  }), { numRuns: 2000 })
})
