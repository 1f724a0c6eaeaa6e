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
    { spec: '--mesh-key <file>', help: 'the mesh key every peer shares (default: <data dir>/mesh.key, made at the first start or by "meshnode join")' },
    { spec: '--open', help: 'run an open mesh, with no key: any machine on the LAN can join, see every job and run work here' },
    { spec: '--trust-print <list>', help: 'who may print here: peer ids or names, comma-separated, "*" for any mesh member, "none" for this node only (default: "*" with a mesh key, else "none")' },
    { spec: '--trust-submit <list>', help: 'who may run other stages here, in the same form (default "*")' },
    { spec: '--http <host:port>', help: 'where the HTTP API listens (default 127.0.0.1:8450; 127.0.0.1:0 for any free port; "off" for none); any address but loopback needs tokens' },
    { spec: '--octoprint <host:port>', help: 'serve OctoPrint\'s upload API there for slicers (e.g. 0.0.0.0:5000; "off" for none); its API keys are meshnode tokens' },
    { spec: '--reprapcloud <host:port>', help: 'serve RepRapCloud 0.019\'s clients here, e.g. 127.0.0.1:4468 (default off); any address but loopback needs tokens or "open" in the config' }
  ],
  epilog: 'Example:\n  meshnode start --name ws1 --offer scad\n  meshnode start --no-mdns --listen /ip4/127.0.0.1/tcp/4001 --peer /ip4/127.0.0.1/tcp/4002',
  run: async (_args, flags: StartFlags) => {
    const config = await buildConfig(flags)
    // The version an admin's update chose runs instead of this program, when it is another (replacing this process).
    await (await import('../admin/update-slot.js')).launchVersion(config.dataDir)
    // Loaded here: `start --help` and a bad flag answer without loading libp2p.
    const { startMeshNode } = await import('../node/mesh-node.js')
    const stopping = Promise.withResolvers<string>()
    const node = await startMeshNode(config, { restart: () => { stopping.resolve('restart') } })
    printBanner(node)
    const reason = await runUntilSignalled(node, async () => buildConfig(flags), stopping)
    if (reason === 'restart') return (await import('./self-restart.js')).restartSelf()
  }
}

function printBanner (node: MeshNode): void {
  const record = node.capabilities.local()
  const out = (label: string, value: string): void => { process.stdout.write(`  ${label.padEnd(10)} ${value}\n`) }
  process.stdout.write(`meshnode "${record.name}" is up\n`)
  out('peer id', node.libp2p.peerId.toString())
  for (const address of node.libp2p.getMultiaddrs()) out('listening', address.toString())
  out('HTTP API', node.http?.url ?? 'off')
  if (node.octoprint != null) out('OctoPrint', node.octoprint.url)
  if (node.reprapcloud != null) out('RepRapCloud', node.reprapcloud.url)
  out('data dir', node.config.dataDir)
  out('mDNS', node.config.mdns.enabled ? `on, asking every ${node.config.mdns.intervalMs} ms` : 'off')
  out('mesh', node.meshKey == null ? 'OPEN: no key, any machine on this LAN can join' : `private, key ${node.meshKey.file}`)
  out('offers', record.offers.length > 0 ? record.offers.join(', ') : 'nothing (submit only)')
  for (const tool of node.executors.map(e => e.tool)) out('tool', `${tool.stage}: ${tool.name} ${tool.version}${tool.embedded ? ' (embedded)' : ''}`)
  for (const probe of node.toolProbes()) if (probe.state === 'failed') out('no tool', `${probe.command}: ${probe.reason ?? ''} (asking again; see meshnode status)`)
  for (const printer of record.printers) out('printer', `${printer.name}: ${printer.state}, ${printer.material}`)
  const { market, tools } = node.config
  out('sandbox', `${tools.sandbox ? 'on' : 'OFF'}; each tool run may use ${market.toolMemoryMiB} MiB, ${market.toolCpuSec == null ? 'any CPU time' : `${market.toolCpuSec} s of CPU`}, ${market.maxOutputMiB} MiB files, ${market.toolTimeoutSec} s`)
  // Said at every start, so that an opt-out made once for a test is never forgotten on a node that runs others' jobs.
  if (!tools.sandbox) process.stderr.write(SANDBOX_OFF_WARNING)
  process.stdout.write('ready\n')
  printMeshAdvice(node)
}

/** Said at every start: an open mesh must not go unnoticed, and a new mesh's first user needs the next step. */
function printMeshAdvice (node: MeshNode): void {
  if (node.meshKey == null) {
    process.stderr.write('meshnode: WARNING: this mesh is open (--open): any machine on this LAN can join it, read its jobs and files, and run work on this peer. Start without --open for a private mesh.\n')
  } else if (node.meshKey.created) {
    process.stdout.write(`This peer made a new private mesh: its key is ${node.meshKey.file}.\nTo add a machine, run "npx meshnode invite" here, then the "npx meshnode join CODE" line it prints on that machine.\n`)
  }
}

export const SANDBOX_OFF_WARNING = 'meshnode: WARNING: tools.sandbox is false: native tools run with this node\'s own rights and can read ' +
  'its files, its keys and the network. Any peer allowed to submit can use that. See SECURITY.md, "A hostile design".\n'

/** Runs until a signal or an admin's restart (`stopping`), then stops the node; returns which it was. */
async function runUntilSignalled (node: MeshNode, reloadConfig: () => Promise<NodeConfig>, stopping: PromiseWithResolvers<string>): Promise<string> {
  const describe = (peer: KnownPeer): string => `${peer.name} (${peer.peerId}) offers ${peer.record.offers.join(', ') || 'nothing'}`
  node.capabilities.addEventListener('peer:joined', (evt: any) => { process.stdout.write(`+ peer ${describe(evt.detail)}\n`) })
  node.capabilities.addEventListener('peer:left', (evt: any) => { process.stdout.write(`- peer ${evt.detail.name} (${evt.detail.peerId}) left\n`) })
  process.on('SIGHUP', () => {
    reloadConfig()
      .then(async config => {
        const failures = await node.reload(config)
        for (const failure of failures) process.stderr.write(`meshnode: ${failure}\n`)
        process.stdout.write(failures.length === 0 ? 'config reloaded\n' : `config reloaded, except ${failures.length} listener(s): see above and "meshnode status"\n`)
      })
      .catch(err => { process.stderr.write(`meshnode: config not reloaded: ${err.message}\n`) })
  })
  const shutdown = (signal: string): void => {
    process.on(signal, () => { process.exit(1) })
    stopping.resolve(signal)
  }
  process.once('SIGINT', () => { shutdown('SIGINT') })
  process.once('SIGTERM', () => { shutdown('SIGTERM') })
  const reason = await stopping.promise
  process.stdout.write(`${reason}: stopping\n`)
  await node.stop()
  process.stdout.write('stopped\n')
  return reason
}

