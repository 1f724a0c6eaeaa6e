import { extname, join } from 'node:path'
import type { JobFile, StageRun } from './executor.js'

/** `part.scad` -> `part.stl` in the job directory, never overwriting the input itself. */
export function outputFile (run: StageRun, extension: string): JobFile {
  const base = run.input.name.slice(0, run.input.name.length - extname(run.input.name).length) || 'output'
  const taken = new Set([run.input.name, ...run.extraFiles.map(f => f.name)])
  let name = `${base}.${extension}`
  if (taken.has(name)) name = `${base}-out.${extension}`
  return { name, path: join(run.workDir, name) }
}

/** The extension of a job file, lower case and without the dot. */
export function extensionOf (name: string): string {
  return extname(name).slice(1).toLowerCase()
}
