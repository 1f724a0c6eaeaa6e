import type { ToolLimits } from '../config/node-config.js'
import type { ToolStamp } from './tool-process.js'

/** What a peer advertises about one way it can run a stage. */
export interface ToolInfo {
  /** `scad`, `slice`, or a custom service's name. */
  stage: string
  /** `openscad`, `prusa-slicer`, `slic3r`, `curaengine`, or the service name. */
  name: string
  version: string
  /** True for the WebAssembly engines bundled with meshnode. */
  embedded: boolean
  /** The native binary, when there is one. */
  path?: string
  /** The named slicer profiles this tool can use, with the material each is for. */
  profiles?: Array<{ name: string, material: string }>
}

/** A file in the job directory; `name` is a plain file name, never a path. */
export interface JobFile {
  path: string
  name: string
  /** The name the user gave the file, when it is not `name` (a display name, never a path): the tool's messages say it. */
  givenName?: string
}

export interface StageRun {
  /** A fresh, empty job directory made by the caller; every file the tool sees lives here. */
  workDir: string
  input: JobFile
  /** Files the design includes (lib.scad, a logo.dxf), already placed in workDir. */
  extraFiles: JobFile[]
  /** OpenSCAD `-D name=value` overrides; validated before the tool runs. */
  params: Record<string, string>
  /** A named slicer profile; defaults to the bundled `pla-0.2mm`. */
  profile?: string
  signal: AbortSignal
  timeoutMs: number
  /** Memory, CPU time and file size each native tool process may use. */
  limits: ToolLimits
  onLog(line: string): void
  onProgress(percent: number): void
  /** Told of each native tool process as it starts, to find it again after a crash of the node. */
  onSpawn?(stamp: ToolStamp): Promise<void>
}

export interface StageResult {
  outputPath: string
  outputName: string
  /** The command as run, for the job log; embedded engines show their virtual command line. */
  command: string[]
}

export interface Executor {
  readonly tool: ToolInfo
  run(run: StageRun): Promise<StageResult>
}

export const SCAD_STAGE = 'scad'
export const SLICE_STAGE = 'slice'
