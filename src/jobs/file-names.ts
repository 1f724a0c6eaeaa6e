export class UnsafeFileNameError extends Error {
  constructor (name: string) {
    super(`file name "${name.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}" is not allowed: a plain name of letters, digits, ".", "_" or "-"`)
    this.name = 'UnsafeFileNameError'
  }
}

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/

/**
 * Names from the network are display names; a job directory only ever holds plain names, so none can climb
 * out of it (`../`), be absolute, hide, or carry a NUL.
 */
export function checkFileName (name: string): string {
  if (!PLAIN.test(name) || name.includes('..')) throw new UnsafeFileNameError(name)
  return name
}

/** The extension of a plain name, lowercased, e.g. ".scad"; "" when it has none. */
export function extensionOf (name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot).toLowerCase() : ''
}

/** An extension safe to put on a job file: `.stl`, never `.x/../y` or a 40-character one; "" otherwise. */
export function safeExtension (name: string): string {
  const ext = extensionOf(name)
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : ''
}

/** A name without its last extension: `part` for `part.scad`. */
function stemOf (name: string): string {
  return name.replace(/\.[^.]*$/, '')
}

/** What a tool adds to its input's stem: `.stl` for the `input.stl` it wrote, its own name for `print-report.json`. */
function toolSuffix (toolOutput: string): string {
  if (toolOutput.startsWith('input.')) return safeExtension(toolOutput)
  try {
    return `.${checkFileName(toolOutput)}`
  } catch {
    return safeExtension(toolOutput)
  }
}

/** `part.scad` + the tool's `input.stl` gives `part.stl`; a tool's own name is kept: `part.print-report.json`. */
export function outputName (inputName: string, toolOutput: string): string {
  return nameAfter(inputName, toolSuffix(toolOutput))
}

/**
 * What an output's name adds to the stem of the input it was made from: `.stl` for `part.stl` from `part.scad`.
 * A stored output keeps only this, so it can be named after whichever input asks for it again.
 */
export function suffixAfter (inputName: string, output: string): string {
  const stem = stemOf(inputName)
  return output.startsWith(stem) ? output.slice(stem.length) : safeExtension(output)
}

/** The name an output with this suffix takes when made from `inputName`. */
export function nameAfter (inputName: string, suffix: string): string {
  return stemOf(inputName) + suffix
}
