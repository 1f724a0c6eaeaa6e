import { readFile } from 'node:fs/promises'
import { ToolFailedError, UnsafeDesignError } from './errors.js'
import { extensionOf } from './output-file.js'
import { scadDefineArgs } from './scad-params.js'
import { checkDesignReads } from './scad-scan.js'
import type { StageRun } from './executor.js'

const PLAIN_NAME = /^[A-Za-z0-9._-][A-Za-z0-9._ -]{0,199}$/
const MAX_DESIGN_BYTES = 4 * 1024 * 1024

/**
 * The checks every OpenSCAD run makes before the engine starts: literal `-D` values only, and a
 * design (with the .scad files it includes) that reads nothing but the job's own files.
 * Returns the `-D` arguments.
 */
export async function prepareScadRun (run: StageRun): Promise<string[]> {
  const defineArgs = scadDefineArgs(run.params)
  const jobFiles = [run.input.name, ...run.extraFiles.map(f => f.name)]
  for (const name of jobFiles) {
    if (!PLAIN_NAME.test(name) || name === '..') throw new UnsafeDesignError(`job file name ${JSON.stringify(name)} is not a plain file name`)
  }
  for (const file of [run.input, ...run.extraFiles]) {
    if (file !== run.input && extensionOf(file.name) !== 'scad') continue
    const source = await readFile(file.path)
    if (source.length > MAX_DESIGN_BYTES) throw new ToolFailedError('openscad', `${file.name} is larger than ${MAX_DESIGN_BYTES} bytes`)
    checkDesignReads(source.toString('utf8'), jobFiles)
  }
  return defineArgs
}
