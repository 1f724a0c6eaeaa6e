import { resolve } from 'node:path'
import { Command } from 'commander'
import { dataDirOption } from './data-dir.js'
import { jobDetail, jobSummary } from './job-view.js'
import { printJson, runAction, withDaemon } from './run-action.js'
import type { JobRecord } from '../jobs/job.js'

export function jobsCommand (): Command {
  return new Command('jobs')
    .description('list this node\'s jobs (running, and those that ended in the last day)')
    .option('--all', 'every job, however old')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: { all?: boolean, json?: boolean, dataDir: string }) => {
      await runAction(async () => {
        const jobs: JobRecord[] = await withDaemon(flags.dataDir, async c => c.call('jobs', { all: flags.all === true }))
        if (flags.json === true) return printJson(jobs)
        if (jobs.length === 0) process.stdout.write('no jobs\n')
        for (const job of jobs) process.stdout.write(jobSummary(job) + '\n')
      })
    })
}

export function jobCommand (): Command {
  return new Command('job')
    .description('show one job: each stage with its peer, tool, command, times, bids and refusal reasons, inputs and outputs')
    .argument('<id>')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (id: string, flags: { json?: boolean, dataDir: string }) => {
      await runAction(async () => {
        const job = await withDaemon(flags.dataDir, async c => c.call('job', { id }))
        if (flags.json === true) return printJson(job)
        process.stdout.write(jobDetail(job))
      })
    })
}

export function logsCommand (): Command {
  return new Command('logs')
    .description('print a job\'s history and its tools\' output')
    .argument('<id>')
    .option('-f, --follow', 'keep printing until the job ends')
    .addOption(dataDirOption())
    .action(async (id: string, flags: { follow?: boolean, dataDir: string }) => {
      await runAction(async () => {
        await withDaemon(flags.dataDir, async c => c.call('logs', { id, follow: flags.follow === true }, (event) => {
          const where = event.stage != null ? ` [stage ${event.stage + 1}]` : ''
          process.stdout.write(`${new Date(event.at).toISOString()}${where} ${event.message}\n`)
        }))
      })
    })
}

export function getCommand (): Command {
  return new Command('get')
    .description('write a job\'s final output (or one stage\'s output) to a file, pulling it from the peer that holds it')
    .argument('<id>')
    .option('-o, --output <file>', 'where to write it (default: the output\'s name in this directory)')
    .option('--stage <n>', 'the output of stage N instead, numbered as "meshnode job" shows them (1 is the first), e.g. the G-code of scad,slice,print is --stage 2')
    .addOption(dataDirOption())
    .action(async (id: string, flags: { output?: string, stage?: string, dataDir: string }) => {
      await runAction(async () => {
        await withDaemon(flags.dataDir, async c => {
          const job: JobRecord = await c.call('job', { id })
          const index = flags.stage != null ? stageIndex(flags.stage, job) : undefined
          const output = index != null ? job.stages[index].output : job.result ?? job.stages.findLast(s => s.output != null)?.output
          const got = await c.call('get', { id, out: resolve(flags.output ?? output?.name ?? `${id}.out`), ...(index != null ? { stage: index } : {}) })
          process.stdout.write(`wrote ${got.path} (${got.size} bytes, sha256 ${got.hash})\n`)
        })
      })
    })
}

/** `--stage N` as the API's 0-based index, checked against the job's stages. */
function stageIndex (value: string, job: JobRecord): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > job.stages.length) {
    throw new Error(`--stage takes a stage number from 1 to ${job.stages.length} (${job.stages.map(s => `${s.index + 1} ${s.kind}`).join(', ')}), not "${value}"`)
  }
  return n - 1
}

export function cancelCommand (): Command {
  return new Command('cancel')
    .description('cancel a job: the peer running its stage stops the tool')
    .argument('<id>')
    .addOption(dataDirOption())
    .action(async (id: string, flags: { dataDir: string }) => {
      await runAction(async () => {
        const job: JobRecord = await withDaemon(flags.dataDir, async c => c.call('cancel', { id }))
        process.stdout.write(`${job.id} ${job.state}\n`)
      })
    })
}
