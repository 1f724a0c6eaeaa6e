import { Command } from 'commander'
import { dataDirOption } from './data-dir.js'
import { printJson, runAction, withDaemon } from './run-action.js'

export function statusCommand (): Command {
  return new Command('status')
    .description('show the local node: name, peer id, addresses, capabilities, uptime, load')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: { json?: boolean, dataDir: string }) => {
      await runAction(async () => {
        const status: any = await withDaemon(flags.dataDir, async client => client.call('status'))
        if (flags.json === true) return printJson(status)
        const out = (label: string, value: string): void => { process.stdout.write(`${label.padEnd(10)} ${value}\n`) }
        out('name', status.name)
        out('peer id', status.peerId)
        for (const address of status.addresses) out('address', address)
        out('data dir', status.dataDir)
        out('offers', status.offers.join(', ') || 'nothing (submit only)')
        for (const tool of status.tools) out('tool', `${tool.stage}: ${tool.name} ${tool.version}${tool.embedded === true ? ' (embedded)' : ''}`)
        for (const p of status.printers) out('printer', `${p.name}: ${p.state}, ${p.material}`)
        out('uptime', `${Math.round(status.uptimeMs / 1000)} s`)
        out('load', status.load.toFixed(2))
        out('peers', String(status.peers))
      })
    })
}
