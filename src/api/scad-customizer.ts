/**
 * OpenSCAD's Customizer parameters, read from a design's source the way OpenSCAD reads them: top-level
 * assignments of a literal, before the first module or function, with the widget in a trailing comment
 * (`// [0:5:100]` a slider with its step, `// [a, b]` or `// [10:S, 20:M]` a drop-down, `// 8` a string's
 * longest length or `// .5` a spin box's step), the description in any other trailing comment or else the
 * comment line above, and groups opened by `/* [Name] *\/`. Pure: the node answers `scad.parameters` with it
 * and the dashboard builds its form with the same code.
 */

export type ScadValue = number | boolean | string | number[]

export interface ScadChoice {
  value: number | string
  label: string
}

export interface ScadParameter {
  name: string
  group: string
  description: string
  /** The value the design has, as OpenSCAD would print it for `-D`. */
  initial: string
  type: 'number' | 'boolean' | 'string' | 'vector'
  /** How the form shows it. */
  widget: 'slider' | 'dropdown' | 'spinbox' | 'checkbox' | 'text' | 'vector'
  min?: number
  max?: number
  step?: number
  /** A string's longest length. */
  maxLength?: number
  options?: ScadChoice[]
}

/** Sources longer than this are refused: a design is text, and a form of its parameters is small. */
export const MAX_SCAD_SOURCE = 256 * 1024
/** Parameters past this many are left out of the form. */
export const MAX_SCAD_PARAMETERS = 200
/** The group of parameters before the first `/* [Group] *\/`. */
export const DEFAULT_GROUP = 'Parameters'
const HIDDEN_GROUP = 'Hidden'

export class ScadSourceTooLargeError extends Error {
  constructor (length: number) {
    super(`the design has ${length} characters; the Customizer reads at most ${MAX_SCAD_SOURCE}`)
    this.name = 'ScadSourceTooLargeError'
  }
}

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`
const NUMBER_ONLY = new RegExp(`^${NUMBER}$`)
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?);\s*(?:\/\/(.*))?$/
const GROUP = /^\/\*\s*\[([^\]]{1,100})\]\s*\*\/\s*$/
const DEFINITION = /^(?:module|function)\b/
const STRING = /^"((?:[^"\\]|\\.)*)"$/
const VECTOR = new RegExp(String.raw`^\[\s*(${NUMBER}(?:\s*,\s*${NUMBER})*)?\s*\]$`)

/** The Customizer parameters of a design, in source order. */
export function parseScadParameters (source: string): ScadParameter[] {
  if (source.length > MAX_SCAD_SOURCE) throw new ScadSourceTooLargeError(source.length)
  const parameters: ScadParameter[] = []
  let group = DEFAULT_GROUP
  let above = ''
  let inBlockComment = false
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim()
    if (inBlockComment) {
      if (line.includes('*/')) inBlockComment = false
      above = ''
      continue
    }
    const opened = GROUP.exec(line)
    if (opened != null) { group = opened[1].trim(); above = ''; continue }
    if (line.startsWith('/*')) { inBlockComment = !line.includes('*/'); above = ''; continue }
    if (line.startsWith('//')) { above = line.slice(2).trim(); continue }
    if (DEFINITION.test(line)) break
    const assigned = ASSIGNMENT.exec(line)
    const description = above
    above = ''
    if (assigned == null || assigned[1].startsWith('$') || group === HIDDEN_GROUP) continue
    const parameter = toParameter(assigned[1], assigned[2].trim(), (assigned[3] ?? '').trim(), group, description)
    if (parameter == null) continue
    const earlier = parameters.findIndex(p => p.name === parameter.name)
    // OpenSCAD's last assignment wins; the form shows it where it was first made.
    if (earlier >= 0) parameters[earlier] = parameter
    else if (parameters.length < MAX_SCAD_PARAMETERS) parameters.push(parameter)
  }
  return parameters
}

function toParameter (name: string, literal: string, comment: string, group: string, above: string): ScadParameter | undefined {
  const value = parseLiteral(literal)
  if (value === undefined) return undefined
  const spec = /^\[(.*)\]\s*$/.exec(comment)
  // A trailing comment that is no widget is the parameter's own note: it wins over the line above, which in
  // many designs is the file's header rather than anything about this parameter.
  const note = spec == null && !NUMBER_ONLY.test(comment) ? comment : ''
  const description = note !== '' ? note : above
  const base = { name, group, description, initial: literal }
  if (typeof value === 'boolean') return { ...base, type: 'boolean', widget: 'checkbox' }
  if (Array.isArray(value)) return { ...base, type: 'vector', widget: 'vector', ...rangeOf(spec?.[1]) }
  const type = typeof value === 'number' ? 'number' : 'string'
  if (spec != null) {
    const options = choicesOf(spec[1], type)
    if (options != null) return { ...base, type, widget: 'dropdown', options }
    const range = rangeOf(spec[1])
    if (type === 'number' && range.max != null) return { ...base, type, widget: 'slider', ...range }
  }
  if (type === 'string') {
    const longest = NUMBER_ONLY.test(comment) ? Math.floor(Number(comment)) : undefined
    return { ...base, type, widget: 'text', ...(longest != null && longest > 0 ? { maxLength: longest } : {}) }
  }
  const step = NUMBER_ONLY.test(comment) && Number(comment) > 0 ? Number(comment) : undefined
  return { ...base, type, widget: 'spinbox', ...(step != null ? { step } : {}) }
}

/** A literal OpenSCAD would show in the Customizer; undefined for an expression. */
export function parseLiteral (literal: string): ScadValue | undefined {
  if (literal === 'true' || literal === 'false') return literal === 'true'
  if (NUMBER_ONLY.test(literal)) return Number(literal)
  const text = STRING.exec(literal)
  if (text != null) return text[1].replace(/\\(.)/g, '$1')
  const vector = VECTOR.exec(literal)
  if (vector != null) return vector[1] == null ? [] : vector[1].split(',').map(n => Number(n.trim()))
  return undefined
}

/** `[max]`, `[min:max]` or `[min:step:max]`: OpenSCAD puts the step in the middle, as in its ranges. */
function rangeOf (spec: string | undefined): { min?: number, max?: number, step?: number } {
  if (spec == null) return {}
  const parts = spec.split(':').map(p => p.trim())
  if (!parts.every(p => NUMBER_ONLY.test(p))) return {}
  const numbers = parts.map(Number)
  if (numbers.length === 1) return { min: 0, max: numbers[0] }
  if (numbers.length === 2) return { min: numbers[0], max: numbers[1] }
  if (numbers.length === 3 && numbers[1] > 0) return { min: numbers[0], step: numbers[1], max: numbers[2] }
  return {}
}

/** `[a, b, c]` or `[value:label, ...]`; undefined when the spec is a range. */
function choicesOf (spec: string, type: 'number' | 'string'): ScadChoice[] | undefined {
  if (!spec.includes(',')) {
    // One labelled choice (`[10:Small]`) is a drop-down; `[0:10]` and `[0:0.5:10]` are ranges.
    if (rangeOf(spec).max != null) return undefined
    const only = labelled(spec, type)
    return only != null && only.label !== String(only.value) ? [only] : undefined
  }
  const options: ScadChoice[] = []
  for (const item of spec.split(',')) {
    const option = labelled(item.trim(), type)
    if (option == null) return undefined
    options.push(option)
  }
  return options
}

function labelled (item: string, type: 'number' | 'string'): ScadChoice | undefined {
  const colon = item.indexOf(':')
  const rawValue = (colon < 0 ? item : item.slice(0, colon)).trim()
  const label = colon < 0 ? undefined : item.slice(colon + 1).trim()
  if (rawValue === '') return undefined
  if (type === 'number') {
    if (!NUMBER_ONLY.test(rawValue)) return undefined
    if (label != null && NUMBER_ONLY.test(label)) return undefined
    return { value: Number(rawValue), label: label ?? rawValue }
  }
  const unquoted = STRING.exec(rawValue)?.[1] ?? rawValue
  return { value: unquoted, label: label ?? unquoted }
}

/** A form's value as the `-D` literal the job takes: strings quoted, the rest as written. */
export function scadLiteral (parameter: Pick<ScadParameter, 'type'>, value: string | boolean): string {
  if (parameter.type === 'boolean') return value === true || value === 'true' ? 'true' : 'false'
  if (parameter.type === 'string') return JSON.stringify(String(value))
  return String(value).trim()
}
