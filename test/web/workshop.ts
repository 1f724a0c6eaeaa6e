import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { waitFor } from '../lan/wait.js'
import { startPeer } from '../market/mesh-fixture.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

export const PRINTER = 'mk3'

/** The roles of a small workshop: who renders, who slices, and the Pi with the (virtual) printer. */
export const ROLES: Record<string, (c: NodeConfig) => void> = {
  workstation: c => { c.offers = ['scad'] },
  'build-server': c => { c.offers = ['slice'] },
  'printer-pi': c => {
    c.offers = ['print']
    c.trust.print = ['*']
    // The part stays on the bed until an operator clears it: the dashboard's Clear bed is what frees it.
    c.printers = [parsePrinterConfig({ name: PRINTER, port: 'virtual', baud: 1000000, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', bedClearsItself: false, virtual: { speedUp: 50, faults: [] } }, 'printers[0]')]
  }
}

/** Starts one role's peer and connects it to `others`. */
async function startRole (t: TestContext, dir: string, role: string, others: MeshNode[]): Promise<MeshNode> {
  const node = await startPeer(t, dir, role, ROLES[role])
  for (const other of others) await node.libp2p.dial(other.libp2p.getMultiaddrs()[0])
  return node
}

/** Three peers on loopback, each listing the two others. */
export async function startWorkshop (t: TestContext, dir: string): Promise<{ workstation: MeshNode, buildServer: MeshNode, printerPi: MeshNode }> {
  const printerPi = await startRole(t, dir, 'printer-pi', [])
  const workstation = await startRole(t, dir, 'workstation', [printerPi])
  const buildServer = await startRole(t, dir, 'build-server', [printerPi, workstation])
  for (const node of [printerPi, workstation, buildServer]) {
    await waitFor(async () => node.capabilities.peers().length === 2 ? true : undefined, { timeoutMs: 20_000, what: `${node.config.name} to list the two other peers` })
  }
  return { workstation, buildServer, printerPi }
}
