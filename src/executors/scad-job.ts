import { readFile } from 'node:fs/promises'
import { ToolFailedError, UnsafeDesignError } from './errors.js'
import { extensionOf } from './output-file.js'
import { scadDefineArgs } from './scad-params.js'
import { checkDesignReads } from './scad-scan.js'
import type { JobFile, StageRun } from './executor.js'

const PLAIN_NAME = /^[A-Za-z0-9._-][A-Za-z0-9._ -]{0,199}$/
const MAX_DESIGN_BYTES = 4 * 1024 * 1024

/**
 * The checks every OpenSCAD run makes before the engine starts: literal `-D` values only, and a
 * design (with every .scad file, and every file a design includes or uses whatever its extension)
 * that reads nothing but the job's own files. Returns the `-D` arguments.
 */
export async function prepareScadRun (run: StageRun): Promise<string[]> {
  const defineArgs = scadDefineArgs(run.params)
  const jobFiles = [run.input.name, ...run.extraFiles.map(f => f.name)]
  for (const name of jobFiles) {
    if (!PLAIN_NAME.test(name) || name === '..') throw new UnsafeDesignError(`job file name ${JSON.stringify(name)} is not a plain file name`)
  }
  const files = [run.input, ...run.extraFiles]
  const toScan = files.filter(file => file === run.input || extensionOf(file.name) === 'scad')
  const scanned = new Set<JobFile>()
  for (let file = toScan.shift(); file != null; file = toScan.shift()) {
    if (scanned.has(file)) continue
    scanned.add(file)
    const source = await readFile(file.path)
    if (source.length > MAX_DESIGN_BYTES) throw new ToolFailedError('openscad', `${file.name} is larger than ${MAX_DESIGN_BYTES} bytes`)
    const libraries = checkDesignReads(source.toString('utf8'), jobFiles)
    toScan.push(...files.filter(f => libraries.includes(f.name)))
  }
  return defineArgs
}
