import { UnsupportedInputError } from './errors.js'
import { extensionOf } from './output-file.js'
import type { StageRun } from './executor.js'
import type { ProfileBook, SlicerProfile } from './profiles.js'

/** The checks every slicer makes before it starts: a model type it reads, a profile it knows. */
export function prepareSliceRun (tool: string, accepts: readonly string[], profiles: ProfileBook, run: StageRun): SlicerProfile {
  if (!accepts.includes(extensionOf(run.input.name))) throw new UnsupportedInputError(tool, run.input.name, accepts)
  return profiles.resolve(run.profile)
}
