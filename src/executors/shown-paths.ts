import { resolve } from 'node:path'
import type { StageRun } from './executor.js'

const LONGEST_NAME = 128

/**
 * A tool's words name the job folder's copy of the input (`/root/.meshnode/work/j…-0-1/input.scad`, the
 * embedded engine's `/job/input.scad`, or a bare `input.scad`), which the user never saw. This gives the text
 * with those paths turned into the names the user knows: the input's own name, and the included files' names
 * without the folder. `folders` are the places the tool saw the job folder as, beside the folder itself.
 */
export function userPaths (run: Pick<StageRun, 'workDir' | 'input'>, folders: readonly string[] = []): (text: string) => string {
  const given = run.input.givenName == null ? run.input.name : printable(run.input.givenName)
  const seen = [...new Set([resolve(run.workDir), run.workDir, ...folders])].filter(folder => folder !== '' && folder !== '/')
  const bare = new RegExp(`(?<![\\w./-])${escape(run.input.name)}(?![\\w.-])`, 'g')
  return (text) => {
    let shown = text
    for (const folder of seen) shown = shown.split(`${folder}/${run.input.name}`).join(given).split(`${folder}/`).join('')
    return given === run.input.name ? shown : shown.replace(bare, given)
  }
}

/** A display name from the network, as it may appear in a log line: printable, one line, not too long. */
function printable (name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, LONGEST_NAME)
}

function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
