import { resolve } from 'node:path'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { jobDetail, jobSummary } from './job-view.js'
import { printJson, withDaemon } from './run-action.js'
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
  flags: [JSON_FLAG, DATA_DIR_FLAG],
  run: async ([id], flags: { json?: boolean, dataDir?: string }) => {
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
    { spec: '--stage <n>', help: 'the output of stage N instead, numbered as "meshnode job" shows them (1 is the first), e.g. the G-code of scad,slice,print is --stage 2' },
    DATA_DIR_FLAG
  ],
  run: async ([id], flags: { output?: string, stage?: string, dataDir?: string }) => {
    await withDaemon(dataDirOf(flags), async c => {
      const record: JobRecord = await c.call('job', { id })
      const index = flags.stage != null ? stageIndex(flags.stage, record) : undefined
      const output = index != null ? record.stages[index].output : record.result ?? record.stages.findLast(s => s.output != null)?.output
      const got = await c.call('get', { id, out: resolve(flags.output ?? output?.name ?? `${id}.out`), ...(index != null ? { stage: index } : {}) })
      process.stdout.write(`wrote ${got.path} (${got.size} bytes, sha256 ${got.hash})\n`)
    })
  }
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
