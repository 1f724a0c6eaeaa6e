import { basename, relative } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { logger } from '@libp2p/logger'
import { KeyedLock } from '../store/keyed-lock.js'
import type { Library } from './library.js'
import type { WatchPaths } from './watch-paths.js'

const log = logger('meshnode:library:watch')

/** A folder whose design files go into the library and are processed. */
export interface WatchSpec {
  dir: string
  /** Stages for each new or changed design; by default the file type's. */
  pipeline?: string[]
  tags?: string[]
  profile?: string
}

/** What happened to one file of a watched folder. */
export interface WatchEvent {
  /** The file's path inside the folder. */
  file: string
  /** new: a new entry; version: a new version of the file's entry; unchanged: content the library had; refused: not a design; failed: an error. */
  outcome: 'new' | 'version' | 'unchanged' | 'refused' | 'failed'
  entry?: string
  jobs?: string[]
  reason?: string
}

export interface WatchFolderComponents {
  library: Pick<Library, 'add' | 'submit' | 'store'>
  paths: WatchPaths
}

/** A file is taken once it has not grown for this long: a copy in progress is not read half written. */
const SETTLE_MS = 300

/**
 * Watches a folder (chokidar): a new or changed file is added to the library, as a new entry or a new version of
 * the entry it was before, and submitted; content the library already has runs nothing. Files already there
 * at the start are looked at too, and the library's memory of content keeps them from running twice. Deleting a
 * file deletes nothing.
 */
export class WatchFolder {
  private readonly spec: WatchSpec
  private readonly c: WatchFolderComponents
  private readonly onEvent: (event: WatchEvent) => void
  private readonly locks = new KeyedLock()
  private watcher?: FSWatcher

  constructor (spec: WatchSpec, components: WatchFolderComponents, onEvent: (event: WatchEvent) => void) {
    this.spec = spec
    this.c = components
    this.onEvent = onEvent
  }

  async start (): Promise<void> {
    const watcher = watch(this.spec.dir, {
      ignoreInitial: false,
      awaitWriteFinish: { stabilityThreshold: SETTLE_MS, pollInterval: 100 },
      // Dot files are editors' and systems' own (swap files, .DS_Store).
      ignored: (path: string) => basename(path).startsWith('.') && path !== this.spec.dir
    })
    this.watcher = watcher
    const take = (path: string): void => {
      this.locks.run(path, async () => this.take(path)).catch(err => { log.error('taking %s failed %e', path, err) })
    }
    watcher.on('add', take)
    watcher.on('change', take)
    watcher.on('error', err => { log.error('watching %s failed %e', this.spec.dir, err) })
    await new Promise<void>(resolve => watcher.once('ready', () => { resolve() }))
  }

  async stop (): Promise<void> {
    await this.watcher?.close()
  }

  private async take (path: string): Promise<void> {
    const file = relative(this.spec.dir, path)
    try {
      const known = await this.c.paths.entryOf(path)
      const to = known != null && this.c.library.store.get(known)?.removed.value === false ? known : undefined
      const { entry, outcome } = await this.c.library.add(path, [], { tags: this.spec.tags }, to)
      await this.c.paths.set(path, entry.id)
      if (outcome === 'unchanged') {
        this.onEvent({ file, outcome, entry: entry.id })
        return
      }
      const jobs = await this.c.library.submit(entry.id, { pipeline: this.spec.pipeline, options: { params: {}, profile: this.spec.profile } })
      this.onEvent({ file, outcome, entry: entry.id, jobs: jobs.map(j => j.id) })
    } catch (err: any) {
      const refused = err.name === 'UnknownDesignTypeError'
      this.onEvent({ file, outcome: refused ? 'refused' : 'failed', reason: err.message })
    }
  }
}
