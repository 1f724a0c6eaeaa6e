import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { dataDirOption } from './data-dir.js'
import { jobSummary } from './job-view.js'
import { printJson, runAction, withDaemon } from './run-action.js'
import type { JobRecord } from '../jobs/job.js'

interface SubmitFlags {
  pipeline?: string
  define?: string[]
  profile?: string
  printer?: string
  material?: string
  with?: string[]
  detach?: boolean
  notify?: string
  output?: string
  json?: boolean
  dataDir: string
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function submitCommand (): Command {
  return new Command('submit')
    .description('submit designs to the mesh: each file becomes a job that runs stage by stage on the peers that win them')
    .argument('<files...>', 'design files (.scad, .stl, .3mf, .obj, .gcode); several make a batch, one job each')
    .option('--pipeline <stages>', 'stages in order, e.g. scad,slice,print (default: by file type)')
    .option('-D, --define <name=value>', 'an OpenSCAD parameter, repeatable', collect)
    .option('--profile <name>', 'the slicer profile to use')
    .option('--printer <name>', 'print on this printer')
    .option('--material <name>', 'the material the print needs loaded (e.g. PLA)')
    .option('--with <file>', 'a file the design includes (travels with it), repeatable', collect)
    .option('--detach', 'print the job id(s) and return at once; the daemon carries on')
    .option('--notify <url>', 'POST the job record as JSON here when it ends ($id is replaced by the job id)')
    .option('-o, --output <file>', 'write the final output here (one file only)')
    .option('--json', 'print the final job records as JSON')
    .addOption(dataDirOption())
    .action(async (files: string[], flags: SubmitFlags) => {
      await runAction(async () => submit(files, flags))
    })
}

async function submit (files: string[], flags: SubmitFlags): Promise<number> {
  const paths = files.map(f => resolve(f))
  for (const path of [...paths, ...(flags.with ?? []).map(f => resolve(f))]) {
    if (!existsSync(path)) throw new Error(`${path} does not exist`)
  }
  if (flags.output != null && paths.length > 1) throw new Error('-o takes one input file; a batch leaves its outputs for "meshnode get"')
  return withDaemon(flags.dataDir, async client => {
    const submitted: JobRecord[] = await client.call('submit', {
      files: paths,
      extra: (flags.with ?? []).map(f => resolve(f)),
      pipeline: flags.pipeline?.split(',').map(s => s.trim()).filter(s => s !== ''),
      options: { params: parseDefines(flags.define ?? []), profile: flags.profile, printer: flags.printer, material: flags.material, notify: flags.notify }
    })
    if (flags.detach === true) {
      if (flags.json === true) printJson(submitted)
      else for (const job of submitted) process.stdout.write(`${job.id}\n`)
      return 0
    }
    const progress = flags.json === true ? undefined : new (await import('./stage-progress.js')).StageProgress(submitted.length)
    let finished: JobRecord[]
    try {
      finished = await client.call('watch', { ids: submitted.map(j => j.id), progress: progress != null }, (event: { jobs: JobRecord[] }) => { progress?.update(event.jobs) })
    } finally {
      progress?.stop()
    }
    if (flags.json === true) printJson(finished)
    else for (const job of finished) process.stdout.write(jobSummary(job) + '\n')
    const failed = finished.filter(j => j.state !== 'done')
    for (const job of failed) process.stderr.write(`meshnode: job ${job.id} ${job.state}: ${job.error ?? job.stages.find(s => s.error != null)?.error ?? ''}\n`)
    if (failed.length === 0 && flags.output != null) {
      const got = await client.call('get', { id: finished[0].id, out: resolve(flags.output) })
      if (flags.json !== true) process.stdout.write(`wrote ${got.path} (${got.size} bytes)\n`)
    } else if (failed.length === 0 && flags.json !== true) {
      for (const job of finished) process.stdout.write(`${job.id}: output ${job.result?.name} is ready: meshnode get ${job.id} -o ${job.result?.name}\n`)
    }
    return failed.length === 0 ? 0 : 1
  })
}

function parseDefines (defines: string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (const define of defines) {
    const eq = define.indexOf('=')
    if (eq <= 0) throw new Error(`-D takes name=value, not "${define}"`)
    params[define.slice(0, eq)] = define.slice(eq + 1)
  }
  return params
}
