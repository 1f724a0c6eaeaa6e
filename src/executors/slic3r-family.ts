import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SLICE_STAGE } from './executor.js'
import { outputFile } from './output-file.js'
import { runTool } from './run-tool.js'
import { jobSettings, prepareSliceRun } from './slicer-job.js'
import { SLICER_SETTINGS_FILE } from './slicer-settings.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { ProfileBook } from './profiles.js'
import type { ToolConfinement } from './sandbox.js'

/** PrusaSlicer and its ancestor Slic3r: one `--load profile.ini`, G-code out. */
interface Flavour {
  name: 'prusa-slicer' | 'slic3r'
  accepts: readonly string[]
  /** Arguments before `--load`; PrusaSlicer needs to be told to export, Slic3r exports by default. */
  action: readonly string[]
}

export const PRUSA_SLICER: Flavour = { name: 'prusa-slicer', accepts: ['stl', '3mf', 'obj', 'amf'], action: ['--export-gcode'] }
export const SLIC3R: Flavour = { name: 'slic3r', accepts: ['stl', 'obj', 'amf'], action: [] }

// PrusaSlicer prints its progress as "70 => Infilling layers".
const PROGRESS = /^(\d{1,3}) => /

export class Slic3rFamilyExecutor implements Executor {
  readonly tool: ToolInfo
  private readonly flavour: Flavour
  private readonly profiles: ProfileBook
  private readonly confinement: ToolConfinement

  constructor (flavour: Flavour, path: string, version: string, profiles: ProfileBook, confinement: ToolConfinement) {
    this.flavour = flavour
    this.confinement = confinement
    this.profiles = profiles
    this.tool = { stage: SLICE_STAGE, name: flavour.name, version, embedded: false, path, profiles: profiles.summary() }
  }

  async run (run: StageRun): Promise<StageResult> {
    const profile = prepareSliceRun(this.flavour.name, this.flavour.accepts, this.profiles, run)
    const output = outputFile(run, 'gcode')
    // Absolute paths: a job file called "--help" must stay a file name.
    const settings = await settingsIni(run)
    const args = [...this.flavour.action, '--load', profile.prusaIni, ...(settings == null ? [] : ['--load', settings]), '--output', resolve(output.path), resolve(run.input.path)]
    let reported = 0
    run.onProgress(0)
    await runTool({
      tool: this.flavour.name,
      file: this.tool.path ?? this.flavour.name,
      args,
      env: headlessEnv(),
      confinement: this.confinement,
      readOnly: [profile.prusaIni],
      output: output.path,
      onLine: line => {
        const match = PROGRESS.exec(line)
        // Its stages are numbered out of order ("70 => Infilling" comes before "30 => Preparing infill").
        if (match != null && Number(match[1]) > reported) {
          reported = Math.min(99, Number(match[1]))
          run.onProgress(reported)
        }
      }
    }, run)
    run.onProgress(100)
    return { outputPath: output.path, outputName: output.name, command: [this.tool.path ?? this.flavour.name, ...args] }
  }
}

/** The job's checked settings as an ini of their own: a later --load overrides the profile's values. */
async function settingsIni (run: StageRun): Promise<string | undefined> {
  const checked = await jobSettings(run)
  if (checked == null) return undefined
  const path = resolve(join(run.workDir, `checked-${SLICER_SETTINGS_FILE}`))
  await writeFile(path, checked.ini)
  return path
}

/** Without a display variable the GUI toolkit never tries to open a window on a server or a Pi. */
function headlessEnv (): Record<string, string | undefined> {
  const { DISPLAY, WAYLAND_DISPLAY, ...env } = process.env
  return env
}
