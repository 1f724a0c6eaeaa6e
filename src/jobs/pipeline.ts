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

/** The stages meshnode runs itself; any other stage is a custom service that some peer configures. */
export const BUILT_IN_STAGES: readonly string[] = ['scad', 'slice', 'print']

/** Stages whose output is a record of what they did (a print's report), not a file to keep. */
const REPORT_STAGES = new Set(['print'])

export class UnknownStageError extends Error {
  constructor (unknown: string[], known: string[], peers: number) {
    const names = unknown.map(s => `"${s}"`).join(', ')
    super(`unknown stage${unknown.length > 1 ? 's' : ''} ${names}: the stages this mesh knows are ${known.join(', ')} (built in, or a service a peer advertises; this node knows ${peers} peer${peers === 1 ? '' : 's'})`)
    this.name = 'UnknownStageError'
  }
}

/** What the mesh can run, as far as this node knows: every stage name it has heard of, and those some peer offers now. */
export interface StageDirectory {
  known: ReadonlySet<string>
  offered: ReadonlySet<string>
  /** How many peers this node knows: a service is unknown while the peer that has it has not been heard of. */
  peers: number
}

/**
 * Checked at submit, before anything is stored or runs: a stage no peer has ever heard of (a typo) is refused,
 * naming the known ones. Gives the known stages that no peer offers right now, for the submitter to be told.
 */
export function checkStages (pipeline: readonly string[], mesh: StageDirectory): string[] {
  const unknown = [...new Set(pipeline.filter(stage => !mesh.known.has(stage)))]
  if (unknown.length > 0) throw new UnknownStageError(unknown, [...mesh.known], mesh.peers)
  return [...new Set(pipeline.filter(stage => !mesh.offered.has(stage)))]
}

/**
 * The stage whose output `meshnode get` gives by default: the last one that makes a file (the G-code of
 * scad,slice,print, not the print's report), or the last stage when every stage makes a report.
 */
export function fileStage<S extends { kind: string }> (stages: readonly S[]): S | undefined {
  return stages.findLast(stage => !REPORT_STAGES.has(stage.kind)) ?? stages.at(-1)
}
