import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { designType, nameForType } from '../../src/library/design-type.js'
import { ASCII_STL, binaryStl, GCODE, SCAD, threeMfHead } from './design-files.js'

const typeOf = (content: Buffer | string, name: string): string | undefined => {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content
  return designType(bytes.subarray(0, 4096), bytes.length, name)
}

test('each known type is recognised by its content, whatever its name says', () => {
  for (const name of ['part', 'part.txt', 'part.bin']) {
    assert.equal(typeOf(SCAD, name), 'scad')
    assert.equal(typeOf(ASCII_STL, name), 'stl')
    assert.equal(typeOf(binaryStl(3), name), 'stl')
    assert.equal(typeOf(GCODE, name), 'gcode')
  }
  assert.equal(typeOf(threeMfHead(), 'model'), '3mf')
})

test('a binary STL whose header starts with "solid" is binary, and one cut short is not an STL', () => {
  assert.equal(typeOf(binaryStl(200), 'mesh'), 'stl')
  assert.equal(typeOf(binaryStl(200).subarray(0, 84 + 50 * 199), 'mesh'), undefined)
})

test('text that is none of the types is refused, and so is an unknown zip; an odd .scad is still OpenSCAD', () => {
  assert.equal(typeOf('shopping list\nmilk\n', 'notes.txt'), undefined)
  assert.equal(typeOf('shopping list\nmilk\n', 'notes.scad'), 'scad')
  assert.equal(typeOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40)]), 'archive.zip'), undefined)
  assert.equal(typeOf(Buffer.from([0, 1, 2, 3, 0, 0]), 'blob'), undefined)
})

test('a job sees the type\'s extension: added when the name lacks it, kept when it has it', () => {
  assert.equal(nameForType('mesh', 'stl'), 'mesh.stl')
  assert.equal(nameForType('Mesh.STL', 'stl'), 'Mesh.STL')
  assert.equal(nameForType('part.txt', 'scad'), 'part.txt.scad')
})

test('any bytes give a known type or none, never an error', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 100_000 }), fc.string({ maxLength: 20 }), (head, extra, name) => {
    const type = designType(head, head.length + extra, name)
    assert.ok(type === undefined || ['scad', 'stl', '3mf', 'gcode'].includes(type))
  }))
})
