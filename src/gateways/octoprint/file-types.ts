import { extensionOf } from '../../jobs/file-names.js'
import { UnsupportedFileTypeError } from './errors.js'

/** G-code prints as it is; a model is sliced first, as OctoPrint's own slicing of an uploaded STL would. */
const PIPELINES: Record<string, string[]> = {
  '.gcode': ['print'],
  '.stl': ['slice', 'print'],
  '.3mf': ['slice', 'print'],
  '.obj': ['slice', 'print']
}

export const ACCEPTED_EXTENSIONS: readonly string[] = Object.keys(PIPELINES)

/** The stages an upload goes through to become a print; a type the gateway does not take is OctoPrint's 415. */
export function printPipeline (name: string): string[] {
  const stages = PIPELINES[extensionOf(name)]
  if (stages == null) throw new UnsupportedFileTypeError(name, ACCEPTED_EXTENSIONS)
  return [...stages]
}

/** OctoPrint's file type and its path: `machinecode/gcode` or `model/stl`. */
export function typePath (name: string): [string, string] {
  const ext = extensionOf(name).slice(1)
  return ext === 'gcode' ? ['machinecode', 'gcode'] : ['model', ext]
}
