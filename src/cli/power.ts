import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'
import type { PowerStatus } from '../printer/power-budget.js'

export const power: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const status: Partial<PowerStatus> & Pick<PowerStatus, 'slots'> = await withDaemon(dataDirOf(flags), async c => c.call('power'))
    if (flags.json === true) return printJson(status)
    if (status.group === undefined) {
      process.stdout.write('this node\'s printers are in no power group (see "power" in the node config)\n')
      return
    }
    const heating = status.slots.filter(s => s.state === 'heating').length
    process.stdout.write(`power group ${status.group}: ${heating} of at most ${String(status.maxHeating)} heating\n`)
    for (const slot of status.slots) {
      const since = Math.round((Date.now() - slot.wantedAt) / 1000)
      process.stdout.write(`  ${slot.state === 'heating' ? 'heating         ' : 'waiting for power'} ${slot.printer.padEnd(12)} ${slot.peerId}${slot.local ? ' (this node)' : ''}  asked ${since} s ago\n`)
    }
  }
}
