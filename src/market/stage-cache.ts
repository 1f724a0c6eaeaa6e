import { createHash } from 'node:crypto'
import type { StageSpec } from '../../protocols/market.js'
import type { ToolInfo } from '../executors/executor.js'
import type { FileRef } from '../jobs/job.js'
import type { MeshDb } from '../node/open-db.js'
import type { BlobStore } from '../blobs/blob-store.js'

/** Stages whose output depends only on their inputs, tool version and settings. */
const DETERMINISTIC = new Set(['scad', 'slice'])

/**
 * Remembers the outputs of deterministic stages by what produced them, so an identical stage is answered
 * from the blob store instead of run again (as long as the output blob is still held).
 */
export class StageCache {
  private readonly entries
  private readonly store: BlobStore

  constructor (db: MeshDb, store: BlobStore) {
    this.entries = db.sublevel<string, FileRef>('stage-cache', { valueEncoding: 'json' })
    this.store = store
  }

  async lookup (spec: StageSpec, tool: ToolInfo): Promise<FileRef | undefined> {
    if (!DETERMINISTIC.has(spec.kind)) return undefined
    const hit = await this.entries.get(cacheKey(spec, tool))
    return hit !== undefined && await this.store.has(hit.hash) ? hit : undefined
  }

  async remember (spec: StageSpec, tool: ToolInfo, output: FileRef): Promise<void> {
    if (!DETERMINISTIC.has(spec.kind)) return
    await this.entries.put(cacheKey(spec, tool), output)
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
