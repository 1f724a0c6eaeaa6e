import { Command } from 'commander'
import type { NodeConfig } from '../config/node-config.js'
import type { MeshNode } from '../node/mesh-node.js'
import { dataDirOption } from './data-dir.js'
import { runAction } from './run-action.js'
import type { StartFlags } from './start-config.js'
import type { KnownPeer } from '../capabilities/capability-service.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function startCommand (): Command {
  return new Command('start')
    .description('run this machine\'s peer until SIGINT/SIGTERM (SIGHUP reloads the config)')
    .option('--config <file>', 'a node config (JSON); flags override it')
    .addOption(dataDirOption())
    .option('--name <name>', 'the name other peers see (default: the hostname)')
    .option('--listen <multiaddr>', 'an address to listen on, repeatable (default /ip4/0.0.0.0/tcp/0)', collect)
    .option('--no-mdns', 'do not discover peers over mDNS (dial --peer addresses only)')
    .option('--mdns-interval <ms>', 'how often to ask the LAN for peers over mDNS after the first query at start (default 10000)')
    .option('--peer <multiaddr>', 'a peer to dial directly, repeatable: for LANs where multicast is blocked', collect)
    .option('--offer <list>', 'stages this node offers others, e.g. "scad" or "scad,slice"; "none" to only submit')
    .option('--printer <spec>', 'a printer as NAME=PATH[:BAUD], repeatable (PATH "virtual" runs a virtual printer)', collect)
    .option('--mesh-key <file>', 'the mesh key every peer shares (make one with "meshnode keygen FILE")')
    .addHelpText('after', '\nExample:\n  meshnode start --name ws1 --offer scad\n  meshnode start --no-mdns --listen /ip4/127.0.0.1/tcp/4001 --peer /ip4/127.0.0.1/tcp/4002')
    .action(async (flags: StartFlags, command: Command) => {
      await runAction(async () => {
        // Loaded here, not at the top: every other command starts faster without libp2p and multiaddr parsing.
        const { buildConfig } = await import('./start-config.js')
        const { startMeshNode } = await import('../node/mesh-node.js')
        const dataDirGiven = command.getOptionValueSource('dataDir') === 'cli'
        const config = await buildConfig(flags, dataDirGiven)
        const node = await startMeshNode(config)
        printBanner(node)
        await runUntilSignalled(node, async () => buildConfig(flags, dataDirGiven))
      })
    })
}

function printBanner (node: MeshNode): void {
  const record = node.capabilities.local()
  const out = (label: string, value: string): void => { process.stdout.write(`  ${label.padEnd(10)} ${value}\n`) }
  process.stdout.write(`meshnode "${record.name}" is up\n`)
  out('peer id', node.libp2p.peerId.toString())
  for (const address of node.libp2p.getMultiaddrs()) out('listening', address.toString())
  out('data dir', node.config.dataDir)
  out('mDNS', node.config.mdns.enabled ? `on, asking every ${node.config.mdns.intervalMs} ms` : 'off')
  out('offers', record.offers.length > 0 ? record.offers.join(', ') : 'nothing (submit only)')
  for (const tool of node.executors.map(e => e.tool)) out('tool', `${tool.stage}: ${tool.name} ${tool.version}${tool.embedded ? ' (embedded)' : ''}`)
  for (const printer of record.printers) out('printer', `${printer.name}: ${printer.state}, ${printer.material}`)
  process.stdout.write('ready\n')
}

async function runUntilSignalled (node: MeshNode, reloadConfig: () => Promise<NodeConfig>): Promise<void> {
  const describe = (peer: KnownPeer): string => `${peer.name} (${peer.peerId}) offers ${peer.record.offers.join(', ') || 'nothing'}`
  node.capabilities.addEventListener('peer:joined', (evt: any) => { process.stdout.write(`+ peer ${describe(evt.detail)}\n`) })
  node.capabilities.addEventListener('peer:left', (evt: any) => { process.stdout.write(`- peer ${evt.detail.name} (${evt.detail.peerId}) left\n`) })
  process.on('SIGHUP', () => {
    reloadConfig()
      .then(async config => { await node.reload(config); process.stdout.write('config reloaded\n') })
      .catch(err => { process.stderr.write(`meshnode: config not reloaded: ${err.message}\n`) })
  })
  await new Promise<void>(resolve => {
    const shutdown = (signal: string): void => {
      process.stdout.write(`${signal}: stopping\n`)
      process.on(signal, () => { process.exit(1) })
      resolve()
    }
    process.once('SIGINT', () => { shutdown('SIGINT') })
    process.once('SIGTERM', () => { shutdown('SIGTERM') })
  })
  await node.stop()
  process.stdout.write('stopped\n')
}

