import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startPeer } from '../market/mesh-fixture.js'
import { withVirtualPrinter } from '../printer/virtual-printer-peer.js'
import type { KeyDefaults } from '../../src/config/octoprint-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

const run = promisify(execFile)

export interface CurlAnswer {
  status: number
  headers: string
  body: any
}

/** One request with curl, as a slicer's HTTP client sends it; the status, the raw headers and the JSON body. */
export async function curl (dir: string, args: string[]): Promise<CurlAnswer> {
  const bodyFile = join(dir, 'curl.body')
  const headerFile = join(dir, 'curl.headers')
  await writeFile(bodyFile, '')
  const { stdout } = await run('curl', ['-sS', '--max-time', '60', '-o', bodyFile, '-D', headerFile, '-w', '%{http_code}', ...args])
  const text = await readFile(bodyFile, 'utf8')
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: Number(stdout), headers: await readFile(headerFile, 'utf8'), body }
}

/** The base URL of a peer's OctoPrint gateway, as it reported it. */
export function octoprintUrl (node: MeshNode): string {
  if (node.octoprint == null) throw new Error(`${node.config.name} has no OctoPrint gateway`)
  return node.octoprint.url
}

/** A peer that serves OctoPrint's API on a free loopback port and offers no work itself: the slicer's "printer host". */
export async function startGatewayPeer (t: TestContext, dir: string, keys: Record<string, KeyDefaults> = {}, maxBlobBytes?: number): Promise<MeshNode> {
  return startPeer(t, dir, 'desk', c => {
    c.offers = []
    c.gateways.octoprint = { listen: '127.0.0.1:0', keys }
    if (maxBlobBytes != null) c.blobs.maxBlobBytes = maxBlobBytes
  })
}

/** A peer with a virtual printer that takes prints from any peer and clears its own bed (it records every command), offering `offers`. */
export async function startPrinterPeer (t: TestContext, dir: string, name = 'mk3', offers = ['print']): Promise<{ node: MeshNode, recordFile: string }> {
  const recordFile = join(dir, `${name}.record.gcode`)
  const node = await startPeer(t, dir, `${name}-pi`, c => {
    withVirtualPrinter(name, { recordFile })(c)
    c.offers = offers
  })
  return { node, recordFile }
}
