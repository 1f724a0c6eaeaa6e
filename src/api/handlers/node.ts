import { availableParallelism, loadavg } from 'node:os'
import type { CapabilityService } from '../../capabilities/capability-service.js'
import type { ToolProbeReport } from '../../capabilities/tools.js'
import type { PrintDesk } from '../../printer/print-desk.js'
import type { MethodTable } from '../method-table.js'

export interface NodeComponents {
  peerId: string
  addresses(): string[]
  capabilities: Pick<CapabilityService, 'local' | 'peers'>
  printers: Pick<PrintDesk, 'records'>
  /** Each native tool's probe: found, or why not, and when it is asked again. */
  toolProbes(): ToolProbeReport[]
  dataDir(): string
  /** Where the HTTP API listens, once it does. */
  httpUrl(): string | undefined
  /** Where each gateway listens, by its name in the config. */
  gatewayUrls(): Record<string, string>
  /** Listeners a config reload could not move, open or close, and why. */
  listenFailures(): string[]
  startedAt: number
}

/** `meshnode status` and `meshnode peers`: this node, and the peers it knows. */
export function registerNode (api: MethodTable, node: NodeComponents): void {
  api.register('status', async () => {
    const record = node.capabilities.local()
    return {
      peerId: node.peerId,
      name: record.name,
      addresses: node.addresses(),
      dataDir: node.dataDir(),
      http: node.httpUrl(),
      gateways: node.gatewayUrls(),
      listenFailures: node.listenFailures(),
      offers: record.offers,
      tools: record.tools,
      toolProbes: node.toolProbes(),
      printers: node.printers.records(),
      uptimeMs: Date.now() - node.startedAt,
      load: loadavg()[0] / availableParallelism(),
      peers: node.capabilities.peers().length
    }
  })
  api.register('peers', async () => node.capabilities.peers().map(peer => ({
    peerId: peer.peerId,
    name: peer.name,
    addresses: peer.addresses,
    offers: peer.record.offers,
    tools: peer.record.tools,
    printers: peer.record.printers,
    load: peer.record.load,
    queue: peer.record.queue,
    lastSeen: peer.lastSeen,
    rttMs: peer.rttMs
  })))
}
