import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { curaBaseDefinitionPath, curaMachine } from './cura-definition.js'
import { SLICE_STAGE } from './executor.js'
import { outputFile } from './output-file.js'
import { runTool } from './run-tool.js'
import { jobSettings, prepareSliceRun } from './slicer-job.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { ProfileBook } from './profiles.js'
import type { ToolConfinement } from './sandbox.js'

const ACCEPTS = ['stl']
const DEFINITIONS_DIR = '.cura-definitions'
/**
 * Settings CuraEngine 4.13 asks for that the bundled (older) definitions do not have; without
 * them it stops with "Trying to retrieve setting with no value given".
 */
const ENGINE_SETTINGS: Record<string, string> = {
  machine_extruders_share_nozzle: 'false',
  roofing_monotonic: 'false',
  skin_monotonic: 'false'
}

/** The installed `CuraEngine`, fed the same printer definitions as the embedded engine. */
export class CuraNativeExecutor implements Executor {
  readonly tool: ToolInfo
  private readonly profiles: ProfileBook
  private readonly confinement: ToolConfinement

  constructor (path: string, version: string, profiles: ProfileBook, confinement: ToolConfinement) {
    this.profiles = profiles
    this.confinement = confinement
    this.tool = { stage: SLICE_STAGE, name: 'curaengine', version, embedded: false, path, profiles: profiles.summary() }
  }

  async run (run: StageRun): Promise<StageResult> {
    const profile = prepareSliceRun('CuraEngine', ACCEPTS, this.profiles, run)
    const definitions = join(run.workDir, DEFINITIONS_DIR)
    await mkdir(definitions)
    await copyFile(curaBaseDefinitionPath('fdmprinter'), join(definitions, 'fdmprinter.def.json'))
    await copyFile(curaBaseDefinitionPath('fdmextruder'), join(definitions, 'fdmextruder.def.json'))
    await writeFile(join(definitions, 'printer.def.json'), JSON.stringify(curaMachine(profile.cura.machine).printer))
    const output = outputFile(run, 'gcode')
    const settings = Object.entries({ ...ENGINE_SETTINGS, ...profile.cura.settings, ...(await jobSettings(run))?.cura }).flatMap(([key, value]) => ['-s', `${key}=${value}`])
    // Absolute paths: a job file called "-v" must stay a file name.
    const args = ['slice', '-j', resolve(definitions, 'printer.def.json'), ...settings, '-l', resolve(run.input.path), '-o', resolve(output.path)]
    run.onProgress(0)
    await runTool({ tool: 'CuraEngine', file: this.tool.path ?? 'CuraEngine', args, confinement: this.confinement, output: output.path }, run)
    run.onProgress(100)
    return { outputPath: output.path, outputName: output.name, command: [this.tool.path ?? 'CuraEngine', ...args] }
  }
}
