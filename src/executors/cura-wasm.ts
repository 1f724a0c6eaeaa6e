import { SLICE_STAGE } from './executor.js'
import { extensionOf, outputFile } from './output-file.js'
import { jobSettings, prepareSliceRun } from './slicer-job.js'
import { runWorkerJob } from './worker-job.js'
import type { CuraWasmJob } from './cura-wasm-worker.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { ProfileBook } from './profiles.js'

const WORKER = new URL('./cura-wasm-worker.js', import.meta.url)
// cura-wasm converts OBJ and 3MF to STL itself before slicing.
const ACCEPTS = ['stl', 'obj', '3mf']

/** CuraEngine compiled to WebAssembly: slices on any machine with meshnode installed. */
export class CuraWasmExecutor implements Executor {
  readonly tool: ToolInfo
  private readonly profiles: ProfileBook

  constructor (version: string, profiles: ProfileBook) {
    this.profiles = profiles
    this.tool = { stage: SLICE_STAGE, name: 'curaengine', version, embedded: true, profiles: profiles.summary() }
  }

  async run (run: StageRun): Promise<StageResult> {
    const profile = prepareSliceRun('CuraEngine (embedded)', ACCEPTS, this.profiles, run)
    const output = outputFile(run, 'gcode')
    const job: CuraWasmJob = {
      workDir: run.workDir,
      input: run.input.name,
      extension: extensionOf(run.input.name),
      output: output.name,
      machine: profile.cura.machine,
      settings: { ...profile.cura.settings, ...(await jobSettings(run))?.cura }
    }
    run.onProgress(0)
    await runWorkerJob('CuraEngine (embedded)', WORKER, job, run)
    run.onProgress(100)
    const settings = Object.entries(job.settings).flatMap(([key, value]) => ['-s', `${key}=${value}`])
    return { outputPath: output.path, outputName: output.name, command: ['CuraEngine', 'slice', '-j', `${profile.cura.machine}.def.json`, ...settings, '-l', run.input.name, '-o', output.name] }
  }
}
