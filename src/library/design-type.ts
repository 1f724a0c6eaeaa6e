import { open } from 'node:fs/promises'
import { extname } from 'node:path'

/** The kinds of design file the library takes, each with the extension its jobs are named by. */
export type DesignType = 'scad' | 'stl' | '3mf' | 'gcode'

export const KNOWN_TYPES = 'OpenSCAD source (.scad), STL, ASCII or binary (.stl), 3MF (.3mf), G-code (.gcode)'

const EXTENSIONS: Record<DesignType, string> = { scad: '.scad', stl: '.stl', '3mf': '.3mf', gcode: '.gcode' }
const BY_EXTENSION: Record<string, DesignType> = { '.scad': 'scad', '.stl': 'stl', '.3mf': '3mf', '.gcode': 'gcode', '.gco': 'gcode', '.g': 'gcode' }

/** How much of a file the type is read from. */
export const SNIFF_BYTES = 4096

/** A file of none of the known types. */
export class UnknownDesignTypeError extends Error {
  constructor (name: string) {
    super(`${name} is not a design file this library knows; known types: ${KNOWN_TYPES}`)
    this.name = 'UnknownDesignTypeError'
  }
}

/**
 * The type of a design from its first bytes, its size and its name. The content decides, as the spooler's MIME
 * routing did: a binary STL is known by its size matching its triangle count, a 3MF by its zip header, G-code
 * by lines of commands and comments, OpenSCAD by its statements. The extension settles only text the content
 * leaves open (an empty or unusual .scad).
 */
export function designType (head: Uint8Array, size: number, name: string): DesignType | undefined {
  if (isBinaryStl(head, size)) return 'stl'
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return BY_EXTENSION[extname(name).toLowerCase()] === '3mf' || latin1(head).includes('3D/3dmodel.model') || latin1(head).includes('[Content_Types].xml') ? '3mf' : undefined
  }
  if (head.includes(0)) return undefined
  const text = latin1(head)
  if (/^\s*solid\b/.test(text) && /\b(facet|endsolid)\b/.test(text)) return 'stl'
  if (isGcode(text)) return 'gcode'
  if (SCAD.test(text)) return 'scad'
  return BY_EXTENSION[extname(name).toLowerCase()] === 'scad' ? 'scad' : undefined
}

/** The name a job sees: the file's own when its extension says its type, else with the type's extension added. */
export function nameForType (name: string, type: DesignType): string {
  return BY_EXTENSION[extname(name).toLowerCase()] === type ? name : `${name}${EXTENSIONS[type]}`
}

/** Reads a file's first bytes and size and gives its type, or throws UnknownDesignTypeError. */
export async function designTypeOfFile (path: string, name: string): Promise<DesignType> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const head = new Uint8Array(Math.min(SNIFF_BYTES, size))
    await handle.read(head, 0, head.length, 0)
    const type = designType(head, size, name)
    if (type == null) throw new UnknownDesignTypeError(name)
    return type
  } finally {
    await handle.close()
  }
}

const SCAD = /(^|[\s;{}])(module|function)\s+\w+\s*\(|(^|[\s;{}])(cube|sphere|cylinder|polyhedron|polygon|circle|square|union|difference|intersection|hull|minkowski|translate|rotate|scale|mirror|linear_extrude|rotate_extrude|import)\s*\(|(^|\n)\s*(include|use)\s*</

/** Header, triangle count, 50 bytes a triangle: only a binary STL has exactly that size. */
function isBinaryStl (head: Uint8Array, size: number): boolean {
  if (head.length < 84 || size < 84) return false
  const count = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(80, true)
  return size === 84 + 50 * count
}

/** Every line of the head (but a cut last one) is a command, a comment or blank, and one at least is a command. */
function isGcode (text: string): boolean {
  const lines = text.split(/\r?\n/)
  if (lines.length > 1) lines.pop()
  let commands = 0
  for (const raw of lines) {
    const line = raw.trim()
    if (line === '' || line.startsWith(';') || line.startsWith('(')) continue
    if (!/^(N\d+\s+)?[GMT]\d+(\.\d+)?(\s|;|$)/i.test(line)) return false
    commands++
  }
  return commands > 0
}

function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
