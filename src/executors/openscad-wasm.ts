import { SCAD_STAGE } from './executor.js'
import { outputFile } from './output-file.js'
import { prepareScadRun } from './scad-job.js'
import { runWorkerJob } from './worker-job.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { OpenscadWasmJob } from './openscad-wasm-worker.js'

const JOB_DIR = '/job'
// Manifold renders a small part in ~0.2 s where the default CGAL backend takes seconds.
const BACKEND = '--backend=manifold'

const WORKER = new URL('./openscad-wasm-worker.js', import.meta.url)

/** OpenSCAD compiled to WebAssembly: works on any machine with meshnode installed. */
export class OpenscadWasmExecutor implements Executor {
  readonly tool: ToolInfo

  constructor (version: string) {
    this.tool = { stage: SCAD_STAGE, name: 'openscad', version, embedded: true }
  }

  async run (run: StageRun): Promise<StageResult> {
    const defineArgs = await prepareScadRun(run)
    const output = outputFile(run, 'stl')
    run.onProgress(0)
    const args = [`${JOB_DIR}/${run.input.name}`, '-o', `${JOB_DIR}/${output.name}`, BACKEND, ...defineArgs]
    const job: OpenscadWasmJob = { workDir: run.workDir, files: [run.input.name, ...run.extraFiles.map(f => f.name)], output: output.name, virtualDir: JOB_DIR, args }
    await runWorkerJob('openscad (embedded)', WORKER, job, run, JOB_DIR)
    run.onProgress(100)
    return { outputPath: output.path, outputName: output.name, command: ['openscad', ...args] }
  }
}
