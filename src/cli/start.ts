import type { NodeConfig } from '../config/node-config.js'
import type { MeshNode } from '../node/mesh-node.js'
import type { Command } from './command.js'
import { DATA_DIR_FLAG } from './data-dir.js'
import { buildConfig, type StartFlags } from './start-config.js'
import type { KnownPeer } from '../capabilities/capability-service.js'

export const start: Command = {
  flags: [
    { spec: '--config <file>', help: 'a node config (JSON); flags override it' },
    { ...DATA_DIR_FLAG, help: 'the node\'s data dir (peer key, LevelDB, blobs, control socket) (default: the config\'s, else ~/.meshnode)' },
    { spec: '--name <name>', help: 'the name other peers see (default: the hostname)' },
    { spec: '--listen <multiaddr>', help: 'an address to listen on, repeatable (default /ip4/0.0.0.0/tcp/0)', repeatable: true },
    { spec: '--no-mdns', help: 'do not discover peers over mDNS (dial --peer addresses only)' },
    { spec: '--mdns-interval <ms>', help: 'how often to ask the LAN for peers over mDNS after the first query at start (default 10000)' },
    { spec: '--peer <multiaddr>', help: 'a peer to dial directly, repeatable: for LANs where multicast is blocked', repeatable: true },
    { spec: '--offer <list>', help: 'stages this node offers others, e.g. "scad" or "scad,slice"; "none" to only submit' },
    { spec: '--printer <spec>', help: 'a printer as NAME=PATH[:BAUD], repeatable (PATH "virtual" runs a virtual printer)', repeatable: true },
    { spec: '--mesh-key <file>', help: 'the mesh key every peer shares (make one with "meshnode keygen FILE")' },
    { spec: '--http <host:port>', help: 'where the HTTP API listens (default 127.0.0.1:8450; 127.0.0.1:0 for any free port; "off" for none); any address but loopback needs tokens' }
  ],
  epilog: 'Example:\n  meshnode start --name ws1 --offer scad\n  meshnode start --no-mdns --listen /ip4/127.0.0.1/tcp/4001 --peer /ip4/127.0.0.1/tcp/4002',
  run: async (_args, flags: StartFlags) => {
    const config = await buildConfig(flags)
    // Loaded here: `start --help` and a bad flag answer without loading libp2p.
    const { startMeshNode } = await import('../node/mesh-node.js')
    const node = await startMeshNode(config)
    printBanner(node)
    await runUntilSignalled(node, async () => buildConfig(flags))
  }
}

function printBanner (node: MeshNode): void {
  const record = node.capabilities.local()
  const out = (label: string, value: string): void => { process.stdout.write(`  ${label.padEnd(10)} ${value}\n`) }
  process.stdout.write(`meshnode "${record.name}" is up\n`)
  out('peer id', node.libp2p.peerId.toString())
  for (const address of node.libp2p.getMultiaddrs()) out('listening', address.toString())
  out('HTTP API', node.http?.url ?? 'off')
  out('data dir', node.config.dataDir)
  out('mDNS', node.config.mdns.enabled ? `on, asking every ${node.config.mdns.intervalMs} ms` : 'off')
  out('offers', record.offers.length > 0 ? record.offers.join(', ') : 'nothing (submit only)')
  for (const tool of node.executors.map(e => e.tool)) out('tool', `${tool.stage}: ${tool.name} ${tool.version}${tool.embedded ? ' (embedded)' : ''}`)
  for (const probe of node.toolProbes()) if (probe.state === 'failed') out('no tool', `${probe.command}: ${probe.reason ?? ''} (asking again; see meshnode status)`)
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

