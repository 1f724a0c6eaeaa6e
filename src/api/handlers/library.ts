import { stat } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { checkStages, pipelineFor, type StageDirectory } from '../../jobs/pipeline.js'
import { latestVersion } from '../../library/entry.js'
import { viewEntry } from '../../library/entry-view.js'
import { checkNotifyUrl } from '../../requester/notify.js'
import { BadRequestError } from '../api-errors.js'
import { checkRequestId } from '../request-id.js'
import type { Library } from '../../library/library.js'
import type { WatchEvent, WatchSpec } from '../../library/watch-folder.js'
import type { MethodTable } from '../method-table.js'

export interface LibraryHandlersInit {
  library: Library
  watch: (spec: WatchSpec, onEvent: (event: WatchEvent) => void) => Promise<{ stop(): Promise<void> }>
  /** The stage names the mesh knows and offers now, to refuse a mistyped pipeline before a job exists. */
  stages: () => StageDirectory
}

/** The library methods: add, ls, show, tag, rm, and jobs from an entry. */
export function registerLibrary (methods: MethodTable, { library, watch, stages }: LibraryHandlersInit): void {
  methods.register('library.add', async (params) => {
    const files = absolute(params.files, 'files')
    const extra = absolute(params.extra ?? [], 'extra')
    if (params.to != null && files.length > 1) throw new BadRequestError('to: a new version takes one file', 'to')
    const fields = { name: files.length === 1 ? params.name : undefined, author: params.author, license: params.license, source: params.source, tags: params.tags }
    const added = []
    for (const file of files) {
      const { entry, outcome } = await library.add(file, extra, fields, params.to)
      added.push({ outcome, entry: viewEntry(entry) })
    }
    return added
  })
  methods.register('library.ls', async (params) => library.store.query(params).map(viewEntry))
  methods.register('library.show', async (params) => viewEntry(library.mustGet(params.id)))
  methods.register('library.tag', async (params) => viewEntry(await library.tag(params.id, params.add ?? [], params.remove ?? [])))
  methods.register('library.rm', async (params) => viewEntry(await library.remove(params.id)))
  methods.register('library.submit', async (params) => {
    const entry = library.mustGet(params.id)
    const design = latestVersion(entry)?.[1].files[0]
    if (design != null) checkStages(pipelineFor(design.name, params.pipeline), stages())
    if (params.notify != null) checkNotifyUrl(params.notify)
    const options = { params: params.params ?? {}, profile: params.profile, printer: params.printer, material: params.material, notify: params.notify, priority: params.priority, copies: params.copies }
    return library.submit(entry.id, { pipeline: params.pipeline, options, requestId: checkRequestId(params.requestId) })
  })

  methods.register('library.get', async (params) => {
    const [out] = absolute([params.out], 'out')
    const { file, version } = await library.exportDesign(params.id, out, params.version)
    return { path: out, name: file.name, size: file.size, hash: file.hash, version }
  })

  methods.register('library.watch', async (params, ctx) => {
    const [dir] = absolute([params.dir], 'dir')
    const info = await stat(dir).catch(() => undefined)
    if (info?.isDirectory() !== true) throw new BadRequestError(`dir: ${dir} is not a folder`, 'dir')
    if (params.pipeline != null) checkStages(pipelineFor('design.scad', params.pipeline), stages())
    const folder = await watch({ dir, pipeline: params.pipeline, tags: params.tags, profile: params.profile }, event => { ctx.emit(event) })
    await new Promise<void>(resolve => {
      if (ctx.signal.aborted) resolve()
      ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
    await folder.stop()
    return null
  })
}

function absolute (paths: string[], field: string): string[] {
  for (const path of paths) if (!isAbsolute(path) || path.includes('\0')) throw new BadRequestError(`${field} must be absolute paths`, field)
  return paths
}
