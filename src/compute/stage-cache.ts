import { createHash } from 'node:crypto'
import type { GcodeFacts, StageSpec } from '../../protocols/market.js'
import type { ToolInfo } from '../executors/executor.js'
import { nameAfter, suffixAfter } from '../jobs/file-names.js'
import type { FileRef } from '../jobs/job.js'
import type { MeshDb } from '../store/open-db.js'
import type { BlobStore } from '../blobs/blob-store.js'

/** Stages whose output depends only on their inputs, tool version and settings. */
const DETERMINISTIC = new Set(['scad', 'slice'])

/**
 * A remembered output: its content, and what its name added to its input's (`.stl`). Names are not content: an
 * identical design submitted as another file gets its output named after that file, not the first one's.
 */
interface CacheEntry {
  hash: string
  size: number
  suffix: string
  gcode?: GcodeFacts
}

/**
 * Remembers the outputs of deterministic stages by what produced them, so an identical stage is answered
 * from the blob store instead of run again (as long as the output blob is still held).
 */
export class StageCache {
  private readonly entries
  private readonly store: BlobStore

  constructor (db: MeshDb, store: BlobStore) {
    this.entries = db.sublevel<string, CacheEntry>('stage-cache', { valueEncoding: 'json' })
    this.store = store
  }

  /** The output an identical stage made, named after this stage's input; held by no one yet (the caller serves it). */
  async lookup (spec: StageSpec, tool: ToolInfo): Promise<FileRef | undefined> {
    if (!DETERMINISTIC.has(spec.kind) || spec.input == null) return undefined
    const hit = await this.entries.get(cacheKey(spec, tool))
    // An entry stored before entries kept a suffix (it held the first job's whole name) is a miss, replaced by the next run.
    if (hit === undefined || typeof hit.suffix !== 'string' || !(await this.store.has(hit.hash))) return undefined
    const ref: FileRef = { hash: hit.hash, size: hit.size, name: nameAfter(spec.input.name, hit.suffix), holders: [] }
    if (hit.gcode != null) ref.gcode = hit.gcode
    return ref
  }

  async remember (spec: StageSpec, tool: ToolInfo, output: FileRef): Promise<void> {
    if (!DETERMINISTIC.has(spec.kind) || spec.input == null) return
    await this.entries.put(cacheKey(spec, tool), { hash: output.hash, size: output.size, suffix: suffixAfter(spec.input.name, output.name), gcode: output.gcode })
  }
}

function cacheKey (spec: StageSpec, tool: ToolInfo): string {
  const params = [...spec.params.entries()].sort(([a], [b]) => a.localeCompare(b))
  return createHash('sha256').update(JSON.stringify({
    kind: spec.kind,
    tool: [tool.name, tool.version],
    input: spec.input?.hash,
    extra: spec.extra.map(e => [e.name, e.hash]),
    params,
    profile: spec.profile
  })).digest('hex')
}
