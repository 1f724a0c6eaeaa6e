import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'

interface QueueEntry {
  position: number
  jobId: string
  requester: string
  file: string
  material: string
  priority: string
  moved?: string
  held: boolean
  ageMs: number
  couldTake: Array<{ printer: string, state: string }>
  cannot: Array<{ printer: string, reason: string }>
}

export const queue: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const entries: QueueEntry[] = await withDaemon(dataDirOf(flags), async c => c.call('queue'))
    if (flags.json === true) return printJson(entries)
    if (entries.length === 0) process.stdout.write('no print waits for a printer\n')
    for (const e of entries) {
      const place = `${e.priority}${e.moved !== undefined ? `, moved to the ${e.moved}` : ''}${e.held ? ', HELD' : ''}`
      process.stdout.write(`${String(e.position).padStart(3)}. ${e.jobId}  ${e.file}  ${e.material === '' ? 'any material' : e.material}  ${place}  waiting ${Math.round(e.ageMs / 1000)} s  (from ${e.requester})\n`)
      const could = e.couldTake.map(p => `${p.printer} (${p.state})`).join(', ')
      process.stdout.write(`       could take it: ${could === '' ? 'no printer in the mesh' : could}\n`)
      for (const no of e.cannot) process.stdout.write(`       ${no.printer} cannot: ${no.reason}\n`)
    }
  }
}

const JOB_ARG = [{ name: '<job>', help: 'the job id (a job submitted from this node)' }]

export const queueMove: Command = {
  args: JOB_ARG,
  flags: [{ spec: '--top', help: 'ahead of every waiting print, whatever its priority' }, { spec: '--bottom', help: 'behind every waiting print' }, DATA_DIR_FLAG],
  run: async ([id], flags: { top?: boolean, bottom?: boolean, dataDir?: string }) => {
    if (flags.top === flags.bottom) throw new Error('say where to: --top or --bottom')
    const to = flags.top === true ? 'top' : 'bottom'
    await withDaemon(dataDirOf(flags), async c => c.call('queue.move', { id, to }))
    process.stdout.write(`${id}: moved to the ${to} of the print queue\n`)
  }
}

export function queueHold (held: boolean): Command {
  return {
    args: JOB_ARG,
    flags: [DATA_DIR_FLAG],
    run: async ([id], flags: { dataDir?: string }) => {
      await withDaemon(dataDirOf(flags), async c => c.call(held ? 'queue.hold' : 'queue.release', { id }))
      process.stdout.write(`${id}: ${held ? 'held; no printer takes it until "meshnode queue release"' : 'released'}\n`)
    }
  }
}
