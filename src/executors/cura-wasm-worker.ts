import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { curaMachine } from './cura-definition.js'
import type { WorkerMessage } from './worker-job.js'

/** One slice, in its own thread; see cura-wasm.ts. */
export interface CuraWasmJob {
  workDir: string
  input: string
  extension: string
  output: string
  machine: string
  settings: Record<string, string>
}

interface CuraSlicer {
  on(event: 'progress', listener: (percent: number) => void): void
  slice(model: ArrayBuffer, extension: string): Promise<{ gcode: ArrayBuffer }>
  destroy(): Promise<void>
}

// cura-wasm is CommonJS and starts CuraEngine in a worker of its own (through `threads`).
const require = createRequire(import.meta.url)
const job = workerData as CuraWasmJob
const post = (message: WorkerMessage): void => parentPort?.postMessage(message)

async function slice (): Promise<void> {
  const { CuraWASM } = require('cura-wasm') as { CuraWASM: new (config: object) => CuraSlicer }
  const slicer = new CuraWASM({
    definition: curaMachine(job.machine),
    overrides: Object.entries(job.settings).map(([key, value]) => ({ key, value })),
    transfer: true,
    verbose: false
  })
  slicer.on('progress', percent => post({ type: 'progress', percent: Math.min(99, percent) }))
  const model = await readFile(join(job.workDir, job.input))
  const bytes = model.buffer.slice(model.byteOffset, model.byteOffset + model.byteLength) as ArrayBuffer
  const { gcode } = await slicer.slice(bytes, job.extension)
  await writeFile(join(job.workDir, job.output), new Uint8Array(gcode))
  await slicer.destroy()
  post({ type: 'done' })
}

slice().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }))
