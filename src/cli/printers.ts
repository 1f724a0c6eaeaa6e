import { Command } from 'commander'
import { dataDirOption } from './data-dir.js'
import { printJson, runAction, withDaemon } from './run-action.js'

export function printersCommand (): Command {
  return new Command('printers')
    .description('list every printer in the mesh: peer, name, state, temperatures, material, current job and progress')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: { json?: boolean, dataDir: string }) => {
      await runAction(async () => {
        const printers: any[] = await withDaemon(flags.dataDir, async c => c.call('printers'))
        if (flags.json === true) return printJson(printers)
        if (printers.length === 0) process.stdout.write('no printers in the mesh\n')
        for (const p of printers) {
          const job = p.currentJob !== '' ? `  job ${String(p.currentJob)} ${Math.round(p.progress * 100)}%` : ''
          process.stdout.write(`${String(p.peerName).padEnd(14)} ${String(p.name).padEnd(12)} ${String(p.state).padEnd(13)} ${String(p.material).padEnd(5)} hotend ${Math.round(p.hotendC)}°C bed ${Math.round(p.bedC)}°C${job}\n`)
        }
      })
    })
}

/** Operator decisions on a printer of the local node. */
export function printerCommand (): Command {
  const command = new Command('printer').description('an operator\'s commands for a printer on this node')
  const action = (method: string, description: string): Command => new Command(method.split('.')[1])
    .description(description)
    .argument('<name>', 'the printer\'s name from the node config')
    .addOption(dataDirOption())
    .action(async (name: string, flags: { dataDir: string }) => {
      await runAction(async () => {
        const status = await withDaemon(flags.dataDir, async c => c.call(method, { name }))
        process.stdout.write(`${String(status.name)}: ${String(status.state)}\n`)
      })
    })
  return command
    .addCommand(action('printer.clear', 'confirm the bed is empty: the printer takes prints again'))
    .addCommand(action('printer.pause', 'stop feeding the printer (parks the head if the config says how)'))
    .addCommand(action('printer.resume', 'continue a paused print'))
    .addCommand(action('printer.cancel', 'stop the print, then heaters, fan and motors off'))
}

export function printCommand (): Command {
  return new Command('print')
    .description('operator decisions on prints')
    .addCommand(new Command('resume')
      .description('continue an interrupted print from a line of its G-code (reheats first); run it on the printer\'s node')
      .argument('<job>', 'the job id')
      .requiredOption('--from-line <n>', 'the G-code file line to continue from (see "meshnode printers --json": the last acknowledged line)')
      .addOption(dataDirOption())
      .action(async (job: string, flags: { fromLine: string, dataDir: string }) => {
        await runAction(async () => {
          const fromLine = Number(flags.fromLine)
          if (!Number.isInteger(fromLine) || fromLine < 1) throw new Error('--from-line takes a line number, 1 or more')
          const status = await withDaemon(flags.dataDir, async c => c.call('print.resume', { job, fromLine }))
          process.stdout.write(`${String(status.name)}: ${String(status.state)}\n`)
        })
      }))
}
