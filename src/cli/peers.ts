import { Command } from 'commander'
import { dataDirOption } from './data-dir.js'
import { printJson, runAction, withDaemon } from './run-action.js'

export function peersCommand (): Command {
  return new Command('peers')
    .description('list every peer the local daemon knows: capabilities, printers, last seen, round-trip time')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: { json?: boolean, dataDir: string }) => {
      await runAction(async () => {
        const peers: any[] = await withDaemon(flags.dataDir, async client => client.call('peers'))
        if (flags.json === true) return printJson(peers)
        if (peers.length === 0) {
          process.stdout.write('no peers yet (mDNS finds peers on this LAN; add others with --peer MULTIADDR)\n')
          return
        }
        for (const peer of peers) {
          process.stdout.write(`${peer.name}  ${peer.peerId}\n`)
          process.stdout.write(`  offers     ${peer.offers.join(', ') || 'nothing'}\n`)
          for (const tool of peer.tools) process.stdout.write(`  tool       ${tool.stage}: ${tool.name} ${tool.version}${tool.embedded === true ? ' (embedded)' : ''}\n`)
          for (const p of peer.printers) process.stdout.write(`  printer    ${p.name}: ${p.state}, ${p.material}\n`)
          for (const address of peer.addresses) process.stdout.write(`  address    ${address}\n`)
          const rtt = peer.rttMs != null ? `, rtt ${Math.round(peer.rttMs)} ms` : ''
          process.stdout.write(`  seen       ${Math.round((Date.now() - peer.lastSeen) / 1000)} s ago${rtt}, load ${peer.load.toFixed(2)}, queue ${peer.queue}\n`)
        }
      })
    })
}
