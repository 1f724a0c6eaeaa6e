/** Small design files of each type the library knows, made in the test. */

export const SCAD = '// a bracket\nwidth = 20;\nmodule bracket(w) { cube([w, 10, 3]); }\nbracket(width);\n'

export const ASCII_STL = 'solid part\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid part\n'

export const GCODE = '; sliced for a test\nG28\nG1 X10 Y10 F3000\nM104 S200\nG1 X20 E1.5\n'

/** A binary STL of `triangles` triangles; its header starts with "solid", as some exporters write. */
export function binaryStl (triangles: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(84 + 50 * triangles)
  bytes.write('solid binary exporter header', 0, 'latin1')
  bytes.writeUInt32LE(triangles, 80)
  for (let i = 0; i < triangles; i++) bytes.writeFloatLE(i + seed, 84 + 50 * i + 12)
  return bytes
}

/** The first bytes of a 3MF: a zip whose first entry is the content types part. */
export function threeMfHead (): Buffer {
  const name = Buffer.from('[Content_Types].xml')
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(name.length, 26)
  return Buffer.concat([header, name, Buffer.from('<?xml version="1.0"?>')])
}
