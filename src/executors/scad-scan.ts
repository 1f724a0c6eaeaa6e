import { UnsafeDesignError } from './errors.js'

/** Built-ins that read a file named by an argument. */
const FILE_READERS = new Set(['import', 'surface', 'dxf_dim', 'dxf_cross', 'dxf_linear_extrude', 'dxf_rotate_extrude'])
/**
 * Built-ins whose first positional argument is a file when it is a string (OpenSCAD up to 2021 reads a DXF
 * there) and the height or angle when it is a number. Only a literal string is checked: a computed first
 * argument is nearly always a height, and the sandbox holds whatever file a computed string would name.
 */
const EXTRUDES = new Set(['linear_extrude', 'rotate_extrude'])

type Token =
  | { kind: 'word', text: string }
  | { kind: 'string', text: string, raw: string }
  | { kind: 'library', text: string }
  | { kind: 'punct', text: string }

/**
 * Refuses a design that could read a file other than the job's own: every `include <…>`,
 * `use <…>` and file argument (`import`, `surface`, `file = …`, an extrude's string) must be a literal
 * naming one of `jobFiles`. A file name computed at run time cannot be checked, so it is refused too.
 * Returns the job files it includes or uses: OpenSCAD reads those as designs, whatever their extension.
 * This gives an early, clear error; the sandbox is what keeps the host's files out of reach.
 */
export function checkDesignReads (source: string, jobFiles: readonly string[]): string[] {
  const tokens = tokenize(source)
  const libraries: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    if (token.kind === 'library') libraries.push(checkPath(token.text, jobFiles))
    if (token.kind !== 'word') continue
    if (EXTRUDES.has(token.text) && tokens[i + 1]?.text === '(' && tokens[i + 2]?.kind === 'string') {
      checkLiteralArgument(tokens[i + 2], `${token.text}(…)`, jobFiles)
    }
    if (token.text === 'file' && tokens[i + 1]?.text === '=' && tokens[i + 2]?.text !== '=') {
      checkLiteralArgument(tokens[i + 2], 'file =', jobFiles)
    }
    if (FILE_READERS.has(token.text)) {
      if (tokens[i + 1]?.text !== '(') throw new UnsafeDesignError(`design uses ${token.text} other than as a call; only ${token.text}("file") with a job file is allowed`)
      checkFileReaderCall(tokens, i, jobFiles)
    }
  }
  return libraries
}

/** The first positional argument is the file unless `file =` names it (checked on its own). */
function checkFileReaderCall (tokens: Token[], at: number, jobFiles: readonly string[]): void {
  const name = tokens[at].text
  let depth = 0
  let argStart = true
  for (let i = at + 1; i < tokens.length; i++) {
    const token = tokens[i]
    if (token.text === '(' || token.text === '[' || token.text === '{') depth++
    if (token.text === ')' || token.text === ']' || token.text === '}') {
      depth--
      if (depth === 0) break
    }
    if (depth === 1 && token.text === ',') { argStart = true; continue }
    if (depth !== 1 || !argStart || token.text === '(') continue
    argStart = false
    const named = token.kind === 'word' && tokens[i + 1]?.text === '='
    if (named && token.text === 'file') return
    if (!named) { checkLiteralArgument(token, `${name}(…)`, jobFiles); return }
  }
  throw new UnsafeDesignError(`design calls ${name}() without a literal file name`)
}

function checkLiteralArgument (token: Token | undefined, where: string, jobFiles: readonly string[]): void {
  if (token?.kind !== 'string') throw new UnsafeDesignError(`design passes a computed file name to ${where}; only a literal name of one of the job's files is allowed`)
  if (token.raw.includes('\\')) throw new UnsafeDesignError(`design names a file with escape sequences (${token.raw}); write the job file's name plainly`)
  checkPath(token.text, jobFiles)
}

/** The job file a path names, or the error that it names none. */
function checkPath (path: string, jobFiles: readonly string[]): string {
  if (isRooted(path)) throw new UnsafeDesignError(`design reads ${path}, outside its job directory`)
  if (climbsOut(path)) throw new UnsafeDesignError(`design reads ${JSON.stringify(path)}, outside its job directory`)
  const name = path.replace(/^(\.\/)+/, '')
  if (!jobFiles.includes(name)) {
    throw new UnsafeDesignError(`design reads ${JSON.stringify(path)}, which is not one of the job's files (${jobFiles.join(', ')})`)
  }
  return name
}

/** A path that leads out of the job folder whatever the folder: rooted, or climbing with `..`. */
export function isOutsidePath (path: string): boolean {
  return isRooted(path) || climbsOut(path)
}

function isRooted (path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path) || path.startsWith('~')
}

function climbsOut (path: string): boolean {
  return path.split(/[/\\]/).includes('..')
}

/** Just enough of OpenSCAD's lexer that comments and strings cannot hide a file read. */
function tokenize (source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (/\s/.test(c)) { i++; continue }
    if (source.startsWith('//', i)) { i = lineEnd(source, i); continue }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2)
      i = end === -1 ? source.length : end + 2
      continue
    }
    if (c === '"') {
      let j = i + 1
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1
      const raw = source.slice(i, j + 1)
      tokens.push({ kind: 'string', text: raw.slice(1, -1), raw })
      i = j + 1
      continue
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_]*/.exec(source.slice(i, i + 256))
    if (word != null) {
      tokens.push({ kind: 'word', text: word[0] })
      i += word[0].length
      if (word[0] === 'include' || word[0] === 'use') i = readLibrary(source, i, tokens)
      continue
    }
    tokens.push({ kind: 'punct', text: c })
    i++
  }
  return tokens
}

/** OpenSCAD reads `include <path>` up to the `>`, whitespace and all. */
function readLibrary (source: string, from: number, tokens: Token[]): number {
  let i = from
  while (i < source.length && /\s/.test(source[i])) i++
  if (source[i] !== '<') return from
  const end = source.indexOf('>', i + 1)
  const stop = end === -1 ? source.length : end
  tokens.push({ kind: 'library', text: source.slice(i + 1, stop) })
  return stop + 1
}

function lineEnd (source: string, from: number): number {
  const end = source.indexOf('\n', from)
  return end === -1 ? source.length : end
}
