import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'

export const peers: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const list: any[] = await withDaemon(dataDirOf(flags), async client => client.call('peers'))
    if (flags.json === true) return printJson(list)
    if (list.length === 0) {
      process.stdout.write('no peers yet (mDNS finds peers on this LAN; add others with --peer MULTIADDR)\n')
      return
    }
    for (const peer of list) {
      process.stdout.write(`${peer.name}  ${peer.peerId}\n`)
      process.stdout.write(`  offers     ${peer.offers.join(', ') || 'nothing'}\n`)
      for (const tool of peer.tools) process.stdout.write(`  tool       ${tool.stage}: ${tool.name} ${tool.version}${tool.embedded === true ? ' (embedded)' : ''}\n`)
      for (const p of peer.printers) process.stdout.write(`  printer    ${p.name}: ${p.state}, ${p.material}\n`)
      for (const address of peer.addresses) process.stdout.write(`  address    ${address}\n`)
      const rtt = peer.rttMs != null ? `, rtt ${Math.round(peer.rttMs)} ms` : ''
      process.stdout.write(`  seen       ${Math.round((Date.now() - peer.lastSeen) / 1000)} s ago${rtt}, load ${peer.load.toFixed(2)}, queue ${peer.queue}\n`)
    }
  }
}
