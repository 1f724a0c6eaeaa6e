import { readFile } from 'node:fs/promises'
import { UnsupportedInputError } from './errors.js'
import { extensionOf } from './output-file.js'
import { checkSlicerSettings, SLICER_SETTINGS_FILE, type CheckedSettings } from './slicer-settings.js'
import type { StageRun } from './executor.js'
import type { ProfileBook, SlicerProfile } from './profiles.js'

/** The checks every slicer makes before it starts: a model type it reads, a profile it knows. */
export function prepareSliceRun (tool: string, accepts: readonly string[], profiles: ProfileBook, run: StageRun): SlicerProfile {
  if (!accepts.includes(extensionOf(run.input.name))) throw new UnsupportedInputError(tool, run.input.name, accepts)
  return profiles.resolve(run.profile)
}

/**
 * The settings the job carries over its profile (see slicer-settings.ts), checked here again: they came over
 * the network. Undefined for a job that carries none.
 */
export async function jobSettings (run: StageRun): Promise<CheckedSettings | undefined> {
  const file = run.extraFiles.find(f => f.name === SLICER_SETTINGS_FILE)
  if (file == null) return undefined
  const checked = checkSlicerSettings(await readFile(file.path, 'utf8'))
  run.onLog(`slicer settings from the job: ${checked.kept.join(', ')}${checked.dropped.length > 0 ? `; ignored: ${checked.dropped.length} others` : ''}`)
  return checked
}
