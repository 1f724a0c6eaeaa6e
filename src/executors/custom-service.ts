import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ToolFailedError, UnsupportedInputError } from './errors.js'
import { extensionOf, outputFile } from './output-file.js'
import { runTool } from './run-tool.js'
import type { Executor, StageResult, StageRun, ToolInfo } from './executor.js'
import type { ToolConfinement } from './sandbox.js'
import type { ServiceConfig } from '../config/service-config.js'

/** A command from the node's config, run as a stage of its own name. */
export class CustomServiceExecutor implements Executor {
  readonly tool: ToolInfo
  private readonly service: ServiceConfig
  private readonly confinement: ToolConfinement

  constructor (service: ServiceConfig, confinement: ToolConfinement) {
    this.service = service
    this.confinement = confinement
    this.tool = { stage: service.name, name: service.name, version: 'configured', embedded: false, path: service.command }
  }

  async run (run: StageRun): Promise<StageResult> {
    const { service } = this
    if (service.inputExtensions != null && !service.inputExtensions.includes(extensionOf(run.input.name))) {
      throw new UnsupportedInputError(service.name, run.input.name, service.inputExtensions)
    }
    const output = outputFile(run, service.outputExtension)
    // Paths, not names: a job file called "-rf" must stay a file, never become an option.
    const input = resolve(run.workDir, run.input.name)
    const outputPath = resolve(output.path)
    const args = service.args.map(arg => arg === '{input}' ? input : arg === '{output}' ? outputPath : arg)
    const timeoutMs = Math.min(run.timeoutMs, service.timeoutSec * 1000)
    run.onProgress(0)
    await runTool({ tool: service.name, file: service.command, args, confinement: this.confinement, output: outputPath }, { ...run, timeoutMs })
    await access(outputPath).catch(() => { throw new ToolFailedError(service.name, `finished without writing its output ${output.name}`) })
    run.onProgress(100)
    return { outputPath, outputName: output.name, command: [service.command, ...args] }
  }
}
