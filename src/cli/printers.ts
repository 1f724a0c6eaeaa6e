import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'

export const printers: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const list: any[] = await withDaemon(dataDirOf(flags), async c => c.call('printers'))
    if (flags.json === true) return printJson(list)
    if (list.length === 0) process.stdout.write('no printers in the mesh\n')
    for (const p of list) {
      const job = p.currentJob !== '' ? `  job ${String(p.currentJob)} ${Math.round(p.progress * 100)}%` : ''
      process.stdout.write(`${String(p.peerName).padEnd(14)} ${String(p.name).padEnd(12)} ${shownState(String(p.state)).padEnd(17)} ${String(p.material).padEnd(5)} ${String(p.nozzleMm)} mm hotend ${Math.round(p.hotendC)}°C bed ${Math.round(p.bedC)}°C${job}\n`)
    }
  }
}

/** Words for a state that reads better as a phrase. */
function shownState (state: string): string {
  return state === 'waiting-for-power' ? 'waiting for power' : state
}

/** An operator's decision on a printer of the local node: `method` is the control API's (printer.clear, ...). */
export function printerAction (method: string): Command {
  return {
    args: [{ name: '<name>', help: 'the printer\'s name from the node config' }],
    flags: [DATA_DIR_FLAG],
    run: async ([name], flags: { dataDir?: string }) => {
      const printer = await withDaemon(dataDirOf(flags), async c => c.call(method, { name }))
      process.stdout.write(`${String(printer.name)}: ${String(printer.state)}\n`)
    }
  }
}

export const printerLoad: Command = {
  args: [{ name: '<name>', help: 'the printer\'s name from the node config' }, { name: '[material]', help: 'the filament now loaded, as slicers name it (PLA, PETG, ...)' }],
  flags: [{ spec: '--nozzle <mm>', help: 'the nozzle now fitted, in mm' }, DATA_DIR_FLAG],
  run: async ([name, material], flags: { nozzle?: string, dataDir?: string }) => {
    const printer = await withDaemon(dataDirOf(flags), async c => c.call('printer.load', { name, material, nozzleMm: flags.nozzle }))
    process.stdout.write(`${String(printer.name)}: ${String(printer.material)}, ${String(printer.nozzleMm)} mm nozzle\n`)
  }
}

export const printAbandon: Command = {
  args: [{ name: '<job>', help: 'the job id' }],
  flags: [DATA_DIR_FLAG],
  run: async ([job], flags: { dataDir?: string }) => {
    const printer = await withDaemon(dataDirOf(flags), async c => c.call('print.abandon', { job }))
    process.stdout.write(`${String(printer.name)}: ${String(printer.state)}\n`)
  }
}

export const printResume: Command = {
  args: [{ name: '<job>', help: 'the job id' }],
  flags: [
    { spec: '--from-line <n>', help: 'the G-code file line to continue from (see "meshnode printers --json": the last acknowledged line)', required: true },
    DATA_DIR_FLAG
  ],
  run: async ([job], flags: { fromLine: string, dataDir?: string }) => {
    const fromLine = Number(flags.fromLine)
    if (!Number.isInteger(fromLine) || fromLine < 1) throw new Error('--from-line takes a line number, 1 or more')
    const printer = await withDaemon(dataDirOf(flags), async c => c.call('print.resume', { job, fromLine }))
    process.stdout.write(`${String(printer.name)}: ${String(printer.state)}\n`)
  }
}
