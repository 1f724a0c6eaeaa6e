import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { jobSummary, wroteLine } from './job-view.js'
import { printJson, withRetryingDaemon } from './run-action.js'
import { suggestedCommand } from './suggested-command.js'
import { fileStage } from '../jobs/pipeline.js'
import { newRequestId } from '../api/request-id.js'
import { DaemonLostError } from '../api/retrying-client.js'
import type { JobRecord } from '../jobs/job.js'
import { MAX_COPIES } from '../jobs/copies.js'
import { isPriority, PRIORITIES } from '../jobs/print-queue-order.js'

interface SubmitFlags {
  pipeline?: string
  define?: string[]
  profile?: string
  printer?: string
  material?: string
  copies?: string
  priority?: string
  with?: string[]
  detach?: boolean
  notify?: string
  output?: string
  json?: boolean
  requestId?: string
  dataDir?: string
}

/** Both attempts of a submit lost the daemon: its jobs may be stored, which the user must know before trying again. */
class SubmitUnconfirmedError extends Error {
  constructor (cause: DaemonLostError, files: number, dataDir: string, requestId: string) {
    super(`${cause.message}, so whether ${files === 1 ? 'the job was' : `the ${files} jobs were`} stored is not known. ` +
      `A stored job runs once the daemon is up again: check with "npx meshnode jobs --data-dir ${dataDir}". ` +
      `To submit again without storing a job twice, run the same command with --request-id ${requestId}`, { cause })
    this.name = 'SubmitUnconfirmedError'
  }
}

/** The jobs are stored but the daemon went away while they were watched: the user must not submit them again. */
class WatchLostError extends Error {
  constructor (cause: DaemonLostError, jobs: JobRecord[], dataDir: string) {
    super(`${cause.message}; the submit went through, and ${jobs.length === 1 ? 'the job is' : 'the jobs are'} stored and run once the daemon is up again: ` +
      `${jobs.map(j => j.id).join(', ')} (see "npx meshnode jobs --data-dir ${dataDir}")`, { cause })
    this.name = 'WatchLostError'
  }
}

export const submit: Command = {
  args: [{ name: '<files...>', help: 'design files (.scad, .stl, .3mf, .obj, .gcode), or library entries (lib:ID); several make a batch, one job each' }],
  flags: [
    { spec: '--pipeline <stages>', help: 'stages in order, e.g. scad,slice,print (default: by file type)' },
    { spec: '-D, --define <name=value>', help: 'an OpenSCAD parameter, repeatable', repeatable: true },
    { spec: '--profile <name>', help: 'the slicer profile to use' },
    { spec: '--printer <name>', help: 'print on this printer' },
    { spec: '--material <name>', help: 'the material the print needs loaded (e.g. PLA)' },
    { spec: '--priority <p>', help: 'the print\'s place in the print queue: high, normal (default) or low' },
    { spec: '--copies <n>', help: 'print N copies: one render and one slice, then N prints spread over every printer that fits (the pipeline ends in print)' },
    { spec: '--with <file>', help: 'a file the design includes (travels with it), repeatable', repeatable: true },
    { spec: '--detach', help: 'print the job id(s) and return at once; the daemon carries on' },
    { spec: '--notify <url>', help: 'POST the job record as JSON here when it ends ($id is replaced by the job id)' },
    { spec: '-o, --output <file>', help: 'write the file the job made here, as "meshnode get" would (one input file only)' },
    { spec: '--json', help: 'print the final job records as JSON' },
    { spec: '--request-id <id>', help: 'this submit\'s id (default: a new UUID); the same id again gives the jobs already stored, not new ones' },
    DATA_DIR_FLAG
  ],
  run: async (files: string[], flags: SubmitFlags) => submitFiles(files, flags)
}

async function submitFiles (files: string[], flags: SubmitFlags): Promise<number> {
  const entries = libraryIds(files)
  const paths = entries == null ? files.map(f => resolve(f)) : []
  for (const path of [...paths, ...(flags.with ?? []).map(f => resolve(f))]) {
    if (!existsSync(path)) throw new Error(`${path} does not exist`)
  }
  const count = entries?.length ?? paths.length
  if (flags.output != null && count > 1) throw new Error('-o takes one input file; a batch leaves its outputs for "meshnode get"')
  // Loaded while the daemon stores the jobs, not after.
  const progressView = flags.json === true || flags.detach === true ? undefined : import('./stage-progress.js').then(async view => await view.stageProgress(count))
  const copies = flags.copies === undefined ? undefined : Number(flags.copies)
  if (copies !== undefined && !(Number.isInteger(copies) && copies >= 1 && copies <= MAX_COPIES)) throw new Error(`--copies takes a whole number from 1 to ${MAX_COPIES}, not "${flags.copies ?? ''}"`)
  if (flags.priority !== undefined && !isPriority(flags.priority)) throw new Error(`--priority takes ${PRIORITIES.join(', ')}, not "${flags.priority}"`)
  const pipeline = flags.pipeline?.split(',').map(s => s.trim()).filter(s => s !== '')
  const dataDir = dataDirOf(flags)
  // Sent again with a retry: the daemon then answers with the jobs it stored rather than storing them twice.
  const requestId = flags.requestId ?? newRequestId()
  const options = { params: parseDefines(flags.define ?? []), profile: flags.profile, printer: flags.printer, material: flags.material, notify: flags.notify, copies, priority: flags.priority }
  return withRetryingDaemon(dataDir, async client => {
    let submitted: JobRecord[]
    if (entries != null) {
      if (flags.with != null) throw new Error('--with takes design files: a library entry keeps its own included files')
      submitted = []
      // One request id per entry: a retry of the whole command finds each entry's job.
      for (const [i, id] of entries.entries()) submitted.push(...await client.call('library.submit', { id, pipeline, ...options, requestId: `${requestId}-${i}` }))
    } else {
      // A mistyped stage is refused here, before anything is stored or runs; a stage nobody offers is said now.
      const { unoffered }: { unoffered: string[] } = await client.call('check-pipeline', { files: paths, pipeline })
      for (const stage of unoffered) process.stderr.write(`meshnode: no peer offers ${stage} right now; the job waits for one to join (and that stage fails if none does)\n`)
      submitted = await client.call('submit', {
        files: paths,
        extra: (flags.with ?? []).map(f => resolve(f)),
        pipeline,
        options,
        requestId
      }).catch((err: Error) => { throw err instanceof DaemonLostError ? new SubmitUnconfirmedError(err, paths.length, dataDir, requestId) : err })
    }
    if (flags.detach === true) {
      if (flags.json === true) printJson(submitted)
      else for (const job of submitted) process.stdout.write(`${job.id}\n`)
      return 0
    }
    const progress = await progressView
    let finished: JobRecord[]
    try {
      finished = await client.call('watch', { ids: submitted.map(j => j.id), progress: progress != null }, (event: { jobs: JobRecord[] }) => { progress?.update(event.jobs) })
        .catch((err: Error) => { throw err instanceof DaemonLostError ? new WatchLostError(err, submitted, dataDir) : err })
    } finally {
      progress?.stop()
    }
    if (flags.json === true) printJson(finished)
    else for (const job of finished) process.stdout.write(jobSummary(job) + '\n')
    const failed = finished.filter(j => j.state !== 'done')
    for (const job of failed) process.stderr.write(`meshnode: job ${job.id} ${job.state}: ${job.error ?? job.stages.find(s => s.error != null)?.error ?? ''}\n`)
    if (failed.length === 0 && flags.output != null) {
      const got = await client.call('get', { id: finished[0].id, out: resolve(flags.output) })
      if (flags.json !== true) process.stdout.write(wroteLine(got, finished[0]) + '\n')
    } else if (failed.length === 0 && flags.json !== true) {
      for (const job of finished) {
        const name = fileStage(job.stages)?.output?.name ?? ''
        // A name like `-rf.gcode` would read as an option.
        const file = name.startsWith('-') ? `./${name}` : name
        process.stdout.write(`${job.id}: output ${name} is ready: ${suggestedCommand(['get', job.id, '-o', file], flags)}\n`)
      }
    }
    return failed.length === 0 ? 0 : 1
  })
}

/** The library entries named instead of files (`lib:ID`, or an id no file has), or undefined for files; not both. */
function libraryIds (args: string[]): string[] | undefined {
  const ids = args.map(a => a.startsWith('lib:') ? a.slice(4) : !existsSync(a) && /^[0-9a-f]{12}$/.test(a) ? a : undefined)
  if (ids.every(id => id == null)) return undefined
  if (ids.some(id => id == null)) throw new Error('give design files or library entries (lib:ID), not both')
  return ids as string[]
}

/** `-D name=value` flags as OpenSCAD parameters. */
export function parseDefines (defines: string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (const define of defines) {
    const eq = define.indexOf('=')
    if (eq <= 0) throw new Error(`-D takes name=value, not "${define}"`)
    params[define.slice(0, eq)] = define.slice(eq + 1)
  }
  return params
}
