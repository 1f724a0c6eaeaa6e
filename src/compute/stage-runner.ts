import { mkdir, readdir, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { checkFileName, outputName, safeExtension } from '../jobs/file-names.js'
import { isGcode, readGcodeFileFacts } from '../printer/gcode-facts.js'
import type { BlobRef, StageSpec } from '../../protocols/market.js'
import type { BlobService } from '../blobs/blob-service.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { Executor, JobFile, StageResult, StageRun } from '../executors/executor.js'
import type { FileRef } from '../jobs/job.js'

const log = logger('meshnode:market:stage')

export class InputUnavailableError extends Error {
  constructor (name: string, reasons: string[]) {
    super(`cannot fetch input ${name} from any holder: ${reasons.join('; ') || 'no holder known'}`)
    this.name = 'InputUnavailableError'
  }
}

export interface StageRunInit {
  spec: StageSpec
  executor: Executor
  workDir: string
  blobs: BlobService
  store: BlobStore
  self: string
  timeoutMs: number
  limits: StageRun['limits']
  signal: AbortSignal
  /** Called as the inputs are fetched; the tool starts once both are done, and not if it throws. */
  beforeRun?: () => Promise<void>
  /**
   * Runs the tool itself once one of the node's tool slots is free. Everything around the tool (folder,
   * inputs, confirmation; keeping the output) happens outside the slot, while another stage's tool runs.
   */
  inToolSlot: <T>(tool: () => Promise<T>) => Promise<T>
  onLog(line: string): void
  onProgress(percent: number): void
  onSpawn?: StageRun['onSpawn']
}

export interface StageOutcome {
  output: FileRef
  command: string[]
}

/**
 * One stage on this node: pull the inputs straight from the peers that hold them, run the tool in a fresh
 * job directory, keep the output as a blob this node now serves.
 */
export async function runStage (init: StageRunInit): Promise<StageOutcome> {
  const { spec, store } = init
  await rm(init.workDir, { recursive: true, force: true })
  await mkdir(init.workDir, { recursive: true })
  const input = spec.input as BlobRef
  const inputName = 'input' + safeExtension(input.name)
  const extraFiles: JobFile[] = []
  for (const extra of spec.extra) checkFileName(extra.name)
  // The requester's confirmation and the inputs travel at the same time; the tool waits for both.
  await Promise.all([init.beforeRun?.(), fetchInputs(init, [input, ...spec.extra])])
  for (const { name, hash } of spec.extra) {
    await store.copyTo(hash, join(init.workDir, name))
    extraFiles.push({ path: join(init.workDir, name), name })
  }
  const inputPath = join(init.workDir, inputName)
  await store.copyTo(input.hash, inputPath)
  // One line per run of a tool, naming the award's folder: the folder itself is gone once the stage has ended.
  log('%s: running %s', basename(init.workDir), init.executor.tool.name)
  try {
    const result: StageResult = await init.inToolSlot(async () => init.executor.run({
      workDir: init.workDir,
      input: { path: inputPath, name: inputName, givenName: input.name },
      extraFiles,
      params: Object.fromEntries(spec.params),
      profile: spec.profile === '' ? undefined : spec.profile,
      signal: init.signal,
      timeoutMs: init.timeoutMs,
      limits: init.limits,
      onLog: init.onLog,
      onProgress: init.onProgress,
      onSpawn: init.onSpawn
    }))
    const stored = await store.importFile(result.outputPath)
    const output: FileRef = { hash: stored.hash, size: stored.size, name: outputName(input.name, result.outputName), holders: [init.self] }
    // Read here, once, while the file is at hand: the printers bid on what the G-code needs.
    if (isGcode(output.name)) output.gcode = await readGcodeFileFacts(result.outputPath)
    return { output, command: result.command }
  } finally {
    await dropToolFiles(init.workDir, [inputName, ...extraFiles.map(f => f.name)])
  }
}

/**
 * The tool's files go once the run is over: a kept output is in the blob store by now, and a second copy in
 * the job folder would double the disk each stage uses (a full disk then stays full, and the node can no
 * longer write its own database, not even the stage's end). The inputs are links to blobs and cost nothing
 * until their blob is collected; the work queue removes the folder once the stage's end is recorded.
 */
async function dropToolFiles (workDir: string, keep: string[]): Promise<void> {
  const names = await readdir(workDir).catch(() => [] as string[])
  await Promise.all(names.filter(name => !keep.includes(name)).map(async name => rm(join(workDir, name), { recursive: true, force: true })))
}

type Fetching = Pick<StageRunInit, 'blobs' | 'store' | 'self' | 'signal' | 'onLog'>

/**
 * Pulls a queued stage's inputs while the stage before it runs, so the tool starts as soon as a slot frees.
 * A failure here is not final: the run fetches again and reports.
 */
export async function prefetchInputs (spec: StageSpec, init: Omit<Fetching, 'onLog'>): Promise<void> {
  await fetchInputs({ ...init, onLog: () => {} }, [spec.input as BlobRef, ...spec.extra])
}

async function fetchInputs (init: Fetching, refs: BlobRef[]): Promise<void> {
  for (const ref of refs) await fetchInput(init, ref)
}

async function fetchInput (init: Fetching, ref: BlobRef): Promise<void> {
  if (await init.store.has(ref.hash)) return
  const reasons: string[] = []
  for (const holder of ref.holders) {
    if (holder === init.self) continue
    try {
      const fetched = await init.blobs.fetch(peerIdFromString(holder), ref.hash, { expectedSize: ref.size, signal: init.signal })
      // A broken transfer that picked up where it stopped is worth a line in the job's log: the user sees why it was slow.
      if (fetched.resumedAt.length > 0) init.onLog(`fetched ${ref.name} from ${holder}: resumed at byte ${fetched.resumedAt.join(', ')} after a break`)
      if (fetched.restarts > 0) init.onLog(`fetched ${ref.name} from ${holder}: the content failed its sha256 check and was fetched again (${fetched.restarts} time${fetched.restarts > 1 ? 's' : ''})`)
      return
    } catch (err: any) {
      if (init.signal.aborted) throw err
      reasons.push(`${holder}: ${err.message}`)
    }
  }
  throw new InputUnavailableError(ref.name, reasons)
}
