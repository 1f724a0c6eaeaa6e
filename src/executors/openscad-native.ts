import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ToolFailedError } from './errors.js'
import { SCAD_STAGE } from './executor.js'
import { outputFile } from './output-file.js'
import { runTool } from './run-tool.js'
import { prepareScadRun } from './scad-job.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'

/** The installed `openscad` binary; it can read the host's files, hence the design scan first. */
export class OpenscadNativeExecutor implements Executor {
  readonly tool: ToolInfo

  constructor (path: string, version: string) {
    this.tool = { stage: SCAD_STAGE, name: 'openscad', version, embedded: false, path }
  }

  async run (run: StageRun): Promise<StageResult> {
    const defineArgs = await prepareScadRun(run)
    const output = outputFile(run, 'stl')
    // Absolute paths: a job file called "--render" must stay a file name.
    const args = ['-o', resolve(output.path), ...defineArgs, resolve(run.input.path)]
    run.onProgress(0)
    await runTool({ tool: 'openscad', file: this.tool.path ?? 'openscad', args }, run)
    await access(output.path).catch(() => { throw new ToolFailedError('openscad', 'finished without writing an STL (is the top-level object empty?)') })
    run.onProgress(100)
    return { outputPath: output.path, outputName: output.name, command: [this.tool.path ?? 'openscad', ...args] }
  }
}
