import { extensionOf } from './file-names.js'

export class UnknownInputTypeError extends Error {
  constructor (name: string) {
    super(`cannot tell which pipeline ${name} needs: known types are ${Object.keys(PIPELINES).join(', ')} (or give --pipeline)`)
    this.name = 'UnknownInputTypeError'
  }
}

export class BadPipelineError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BadPipelineError'
  }
}

/** Without --pipeline, the input's type picks the stages. */
const PIPELINES: Record<string, string[]> = {
  '.scad': ['scad', 'slice'],
  '.stl': ['slice'],
  '.3mf': ['slice'],
  '.obj': ['slice'],
  '.gcode': ['print']
}

const STAGE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

export function pipelineFor (name: string, given?: string[]): string[] {
  if (given != null) {
    if (given.length === 0 || given.length > 16) throw new BadPipelineError('a pipeline has 1 to 16 stages, e.g. --pipeline scad,slice,print')
    for (const stage of given) if (!STAGE.test(stage)) throw new BadPipelineError(`"${stage}" is not a stage name (scad, slice, print or a custom service)`)
    return given
  }
  const stages = PIPELINES[extensionOf(name)]
  if (stages == null) throw new UnknownInputTypeError(name)
  return [...stages]
}
