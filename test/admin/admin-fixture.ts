import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { writeAdminKey } from '../../src/admin/admin-key.js'
import { meshnodeBin } from '../../src/paths.js'
import { slowService, startPeer } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

export interface Admin {
  keyFile: string
  publicKey: string
}

export async function makeAdmin (dir: string, name = 'admin.key'): Promise<Admin> {
  const keyFile = join(dir, name)
  return { keyFile, publicKey: await writeAdminKey(keyFile) }
}

/** A peer on loopback that offers an instant `slow` service and trusts `admin`'s key. */
export async function startAdminPeer (t: TestContext, dir: string, name: string, admin: Admin, change: (config: NodeConfig) => void = () => {}): Promise<MeshNode> {
  const service = await slowService(dir, 0)
  return startPeer(t, dir, name, c => {
    c.services = [service]
    c.trust.admin = [admin.publicKey]
    change(c)
  })
}

/** Every pair connected, and each listing the others. */
export async function connectAll (nodes: MeshNode[]): Promise<void> {
  for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
  for (const node of nodes) {
    await waitFor(() => node.capabilities.peers().length >= nodes.length - 1, { timeoutMs: 30_000, what: `${node.config.name} to list ${nodes.length - 1} peers` })
  }
}

/** What a peer's directory says `name` offers now. */
export function offersSeen (by: MeshNode, name: string): string[] | undefined {
  return by.capabilities.peers().find(p => p.name === name)?.record.offers
}

/** Runs the meshnode CLI; a non-zero exit is returned, not thrown. */
export async function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [meshnodeBin, ...args], { timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    if (typeof err.code !== 'number') throw err
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

export async function writeJson (dir: string, name: string, value: unknown): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, JSON.stringify(value))
  return file
}
