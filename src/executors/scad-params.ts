import { ScadParameterError } from './errors.js'
import { isOutsidePath } from './scad-scan.js'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const NUMBER = String.raw`-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`
const NUMBER_VALUE = new RegExp(`^${NUMBER}$`)
const VECTOR_VALUE = new RegExp(String.raw`^\[\s*(?:${NUMBER}(?:\s*,\s*${NUMBER})*)?\s*\]$`)
// Only \" and \\ escapes: OpenSCAD's \x and \u escapes could spell anything.
const STRING_VALUE = /^"(?:[^"\\\u0000-\u001f\u007f]|\\["\\])*"$/
const MAX_NAME = 64
const MAX_VALUE = 1024
const MAX_PARAMS = 128

/**
 * Checks `-D` overrides from the network and returns them as OpenSCAD arguments.
 * A value must be a literal (number, boolean, quoted string, vector of numbers): an expression
 * could call functions or read variables the design never meant to expose.
 */
export function scadDefineArgs (params: Record<string, string>): string[] {
  const entries = Object.entries(params)
  if (entries.length > MAX_PARAMS) throw new ScadParameterError('*', `at most ${MAX_PARAMS} parameters`)
  const args: string[] = []
  for (const [name, value] of entries) {
    checkScadParameter(name, value)
    args.push('-D', `${name}=${value}`)
  }
  return args
}

export function checkScadParameter (name: string, value: unknown): void {
  if (name.length > MAX_NAME || !NAME.test(name)) throw new ScadParameterError(name, 'a name is letters, digits and _ and does not start with a digit')
  if (typeof value !== 'string') throw new ScadParameterError(name, 'the value must be text')
  if (value.length > MAX_VALUE) throw new ScadParameterError(name, `the value is longer than ${MAX_VALUE} characters`)
  if (!isScadLiteral(value)) {
    throw new ScadParameterError(name, `${JSON.stringify(value.slice(0, 80))} is not a number, true/false, a "quoted string" or a [vector, of, numbers]`)
  }
  // A design may hand a string parameter to import() or an extrude; it never needs one outside its job.
  if (value.startsWith('"') && isOutsidePath(JSON.parse(value) as string)) {
    throw new ScadParameterError(name, `${value.slice(0, 80)} is a path outside the job's folder`)
  }
}

function isScadLiteral (value: string): boolean {
  return value === 'true' || value === 'false' || NUMBER_VALUE.test(value) || STRING_VALUE.test(value) || VECTOR_VALUE.test(value)
}
