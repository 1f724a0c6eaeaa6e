import type { ToolProbeReport } from '../capabilities/tools.js'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'

export const status: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const node: any = await withDaemon(dataDirOf(flags), async client => client.call('status'))
    if (flags.json === true) return printJson(node)
    const out = (label: string, value: string): void => { process.stdout.write(`${label.padEnd(10)} ${value}\n`) }
    out('name', node.name)
    out('peer id', node.peerId)
    for (const address of node.addresses) out('address', address)
    out('data dir', node.dataDir)
    out('HTTP API', node.http ?? 'off')
    for (const [name, url] of Object.entries(node.gateways ?? {})) out(name, String(url))
    for (const failure of node.listenFailures ?? []) out('NOT MOVED', failure)
    out('offers', node.offers.join(', ') || 'nothing (submit only)')
    for (const tool of node.tools) out('tool', `${tool.stage}: ${tool.name} ${tool.version}${tool.embedded === true ? ' (embedded)' : ''}`)
    for (const probe of node.toolProbes as ToolProbeReport[]) if (probe.state !== 'found' && probe.state !== 'off') out('no tool', describeProbe(probe))
    for (const p of node.printers) out('printer', `${p.name}: ${p.state}, ${p.material}`)
    out('uptime', `${Math.round(node.uptimeMs / 1000)} s`)
    out('load', node.load.toFixed(2))
    out('peers', String(node.peers))
  }
}

/** A native tool that is not offered, and why: `openscad: did not answer within 2.5 s (try 1 of 6); trying again in 2 s`. */
function describeProbe (probe: ToolProbeReport): string {
  const tries = probe.state === 'failed' ? ` (try ${probe.attempts})` : ''
  const next = probe.nextAttemptAt != null ? `; trying again in ${Math.max(0, Math.ceil((probe.nextAttemptAt - Date.now()) / 1000))} s` : ''
  return `${probe.command}: ${probe.reason ?? probe.state}${tries}${next}`
}
