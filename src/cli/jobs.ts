import { basename, resolve } from 'node:path'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { jobDetail, jobSummary, wroteLine, type GotOutput } from './job-view.js'
import { printJson, withDaemon } from './run-action.js'
import { provenanceView } from './provenance-view.js'
import { fileStage } from '../jobs/pipeline.js'
import type { JobRecord } from '../jobs/job.js'

const JSON_FLAG = { spec: '--json', help: 'print JSON' }

export const jobs: Command = {
  flags: [{ spec: '--all', help: 'every job, however old' }, JSON_FLAG, DATA_DIR_FLAG],
  run: async (_args, flags: { all?: boolean, json?: boolean, dataDir?: string }) => {
    const list: JobRecord[] = await withDaemon(dataDirOf(flags), async c => c.call('jobs', { all: flags.all === true }))
    if (flags.json === true) return printJson(list)
    if (list.length === 0) process.stdout.write('no jobs\n')
    for (const job of list) process.stdout.write(jobSummary(job) + '\n')
  }
}

export const job: Command = {
  args: [{ name: '<id>' }],
  flags: [{ spec: '--provenance', help: 'the job\'s signed record: each stage\'s inputs, tool, settings, output, peer and times, every signature checked' }, JSON_FLAG, DATA_DIR_FLAG],
  run: async ([id], flags: { provenance?: boolean, json?: boolean, dataDir?: string }) => {
    if (flags.provenance === true) {
      const verification = await withDaemon(dataDirOf(flags), async c => c.call('provenance', { id }))
      if (flags.json === true) printJson(verification)
      else process.stdout.write(provenanceView(verification))
      return verification.verified === true ? 0 : 1
    }
    const record = await withDaemon(dataDirOf(flags), async c => c.call('job', { id }))
    if (flags.json === true) return printJson(record)
    process.stdout.write(jobDetail(record))
  }
}

export const logs: Command = {
  args: [{ name: '<id>' }],
  flags: [{ spec: '-f, --follow', help: 'keep printing until the job ends' }, DATA_DIR_FLAG],
  run: async ([id], flags: { follow?: boolean, dataDir?: string }) => {
    await withDaemon(dataDirOf(flags), async c => c.call('logs', { id, follow: flags.follow === true }, (event) => {
      const where = event.stage != null ? ` [stage ${event.stage + 1}]` : ''
      process.stdout.write(`${new Date(event.at).toISOString()}${where} ${event.message}\n`)
    }))
  }
}

export const get: Command = {
  args: [{ name: '<id>' }],
  flags: [
    { spec: '-o, --output <file>', help: 'where to write it (default: the output\'s name in this directory)' },
    { spec: '--stage <n>', help: 'the output of stage N, numbered as "meshnode job" shows them (1 is the first) (default: the last stage that makes a file, e.g. the G-code of scad,slice,print; its print report is --stage 3)' },
    DATA_DIR_FLAG
  ],
  run: async ([id], flags: { output?: string, stage?: string, dataDir?: string }) => {
    await withDaemon(dataDirOf(flags), async c => {
      const record: JobRecord = await c.call('job', { id })
      const index = flags.stage != null ? stageIndex(flags.stage, record) : fileStage(record.stages)?.index ?? 0
      const got: GotOutput = await c.call('get', { id, out: resolve(flags.output ?? localName(record.stages[index]?.output?.name, id)), stage: index })
      const last = record.stages.at(-1)
      // The default skipped a report stage: say where that report is.
      const skipped = flags.stage == null && last != null && last.index !== index ? ` (the ${last.kind} stage's report is --stage ${last.index + 1})` : ''
      process.stdout.write(wroteLine(got, record) + skipped + '\n')
    })
  }
}

/** An output's name as a file in this directory: names come from other peers, so only the last part of one counts. */
function localName (name: string | undefined, id: string): string {
  const last = basename(name ?? '')
  return last === '' || last === '.' || last === '..' ? `${id}.out` : last
}

/** `--stage N` as the API's 0-based index, checked against the job's stages. */
function stageIndex (value: string, record: JobRecord): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > record.stages.length) {
    throw new Error(`--stage takes a stage number from 1 to ${record.stages.length} (${record.stages.map(s => `${s.index + 1} ${s.kind}`).join(', ')}), not "${value}"`)
  }
  return n - 1
}

export const cancel: Command = {
  args: [{ name: '<id>' }],
  flags: [DATA_DIR_FLAG],
  run: async ([id], flags: { dataDir?: string }) => {
    const record: JobRecord = await withDaemon(dataDirOf(flags), async c => c.call('cancel', { id }))
    process.stdout.write(`${record.id} ${record.state}\n`)
  }
}
