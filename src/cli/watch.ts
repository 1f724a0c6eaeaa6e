import { resolve } from 'node:path'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { withDaemon } from './run-action.js'
import type { WatchEvent } from '../library/watch-folder.js'

const SAID: Record<WatchEvent['outcome'], string> = {
  new: 'added',
  version: 'new version',
  unchanged: 'unchanged, nothing to run',
  refused: 'refused',
  failed: 'failed'
}

export const watchFolder: Command = {
  args: [{ name: '<dir>', help: 'the folder to watch (its subfolders too)' }],
  flags: [
    { spec: '--pipeline <stages>', help: 'stages for each new or changed design, e.g. scad,slice (default: by file type)' },
    { spec: '--tag <tag>', help: 'a tag for the entries it adds, repeatable', repeatable: true },
    { spec: '--profile <name>', help: 'the slicer profile to use' },
    DATA_DIR_FLAG
  ],
  epilog: 'Runs until interrupted; the daemon watches the folder meanwhile. For a folder watched always, use the config\'s "watch".',
  run: async ([dir], flags: { pipeline?: string, tag?: string[], profile?: string, dataDir?: string }) => {
    const pipeline = flags.pipeline?.split(',').map(s => s.trim()).filter(s => s !== '')
    const folder = resolve(dir)
    await withDaemon(dataDirOf(flags), async client => {
      process.stderr.write(`watching ${folder} (Ctrl-C to stop)\n`)
      const stopped = new Promise<void>(resolve => process.once('SIGINT', () => { resolve() }))
      const watching = client.call('library.watch', { dir: folder, pipeline, tags: flags.tag, profile: flags.profile }, (event: WatchEvent) => {
        const what = event.reason ?? (event.jobs != null && event.jobs.length > 0 ? `entry ${event.entry ?? ''}, job ${event.jobs.join(', ')}` : `entry ${event.entry ?? ''}`)
        process.stdout.write(`${event.file}: ${SAID[event.outcome]}: ${what}\n`)
      })
      await Promise.race([watching, stopped])
    })
  }
}
