import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ToolFailedError } from './errors.js'
import { SCAD_STAGE } from './executor.js'
import { outputFile } from './output-file.js'
import { runTool } from './run-tool.js'
import { prepareScadRun } from './scad-job.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { ToolConfinement } from './sandbox.js'

/**
 * The installed `openscad` binary. It would read any file the host lets it: the sandbox is the wall, the
 * design scan first gives a friendly error before the tool starts.
 */
export class OpenscadNativeExecutor implements Executor {
  readonly tool: ToolInfo
  private readonly confinement: ToolConfinement

  constructor (path: string, version: string, confinement: ToolConfinement) {
    this.confinement = confinement
    this.tool = { stage: SCAD_STAGE, name: 'openscad', version, embedded: false, path }
  }

  async run (run: StageRun): Promise<StageResult> {
    const defineArgs = await prepareScadRun(run)
    const output = outputFile(run, 'stl')
    // Absolute paths: a job file called "--render" must stay a file name.
    const args = ['-o', resolve(output.path), ...defineArgs, resolve(run.input.path)]
    run.onProgress(0)
    await runTool({ tool: 'openscad', file: this.tool.path ?? 'openscad', args, confinement: this.confinement, output: output.path }, run)
    await access(output.path).catch(() => { throw new ToolFailedError('openscad', 'finished without writing an STL (is the top-level object empty?)') })
    run.onProgress(100)
    return { outputPath: output.path, outputName: output.name, command: [this.tool.path ?? 'openscad', ...args] }
  }
}
