import { UsageError, type Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'
import { stageProgress } from './stage-progress.js'
import { parseDefines } from './submit.js'
import { newRequestId } from '../api/request-id.js'
import type { EntryView } from '../library/entry.js'
import type { JobRecord } from '../jobs/job.js'

interface ProcessFlags { tag?: string, author?: string, text?: string, pipeline?: string, profile?: string, define?: string[], json?: boolean, dataDir?: string }

/** One entry of the batch: its job, or why none was made. */
interface Outcome {
  entry: { id: string, name: string }
  job?: JobRecord
  error?: string
}

export const libraryProcess: Command = {
  flags: [
    { spec: '--tag <tag>', help: 'the entries with this tag' },
    { spec: '--author <name>', help: 'the entries by this author' },
    { spec: '--text <words>', help: 'the entries found by these words (as library ls --text)' },
    { spec: '--pipeline <stages>', help: 'stages in order, e.g. scad,slice (default: by each file\'s type)' },
    { spec: '--profile <name>', help: 'the slicer profile to use' },
    { spec: '-D, --define <name=value>', help: 'an OpenSCAD parameter, repeatable', repeatable: true },
    { spec: '--json', help: 'print each entry\'s outcome as JSON' },
    DATA_DIR_FLAG
  ],
  epilog: 'Example:\n  meshnode library process --tag brackets --pipeline scad,slice --profile pla-0.2mm',
  run: async (_args, flags: ProcessFlags) => {
    if (flags.tag == null && flags.author == null && flags.text == null) throw new UsageError('choose the entries: --tag, --author or --text')
    const pipeline = flags.pipeline?.split(',').map(s => s.trim()).filter(s => s !== '')
    const params = parseDefines(flags.define ?? [])
    return withDaemon(dataDirOf(flags), async client => {
      const entries: EntryView[] = await client.call('library.ls', { tag: flags.tag, author: flags.author, text: flags.text })
      if (entries.length === 0) throw new Error('no library entries match; see "meshnode library ls"')
      const batch = newRequestId()
      const outcomes: Outcome[] = []
      for (const [i, entry] of entries.entries()) {
        const outcome: Outcome = { entry: { id: entry.id, name: entry.name } }
        try {
          ;[outcome.job] = await client.call('library.submit', { id: entry.id, pipeline, params, profile: flags.profile, requestId: `${batch}-${i}` })
        } catch (err: any) {
          outcome.error = err.message
        }
        outcomes.push(outcome)
      }
      const submitted = outcomes.flatMap(o => o.job == null ? [] : [o.job])
      process.stderr.write(`processing ${submitted.length} of ${entries.length} entries\n`)
      const progress = flags.json === true ? undefined : await stageProgress(submitted.length)
      let finished: JobRecord[] = []
      try {
        if (submitted.length > 0) finished = await client.call('watch', { ids: submitted.map(j => j.id), progress: progress != null }, (event: { jobs: JobRecord[] }) => { progress?.update(event.jobs) })
      } finally {
        progress?.stop()
      }
      for (const outcome of outcomes) {
        const ended = finished.find(j => j.id === outcome.job?.id)
        if (ended != null) outcome.job = ended
        if (ended != null && ended.state !== 'done') outcome.error = ended.error ?? ended.stages.find(s => s.error != null)?.error ?? ended.state
      }
      const failed = outcomes.filter(o => o.error != null)
      if (flags.json === true) printJson(outcomes)
      else {
        process.stdout.write(`${outcomes.length - failed.length} of ${outcomes.length} entries processed\n`)
        for (const o of failed) process.stdout.write(`failed: ${o.entry.name} (${o.entry.id})${o.job != null ? `, job ${o.job.id}` : ''}: ${o.error ?? ''}\n`)
      }
      return failed.length === 0 ? 0 : 1
    })
  }
}
