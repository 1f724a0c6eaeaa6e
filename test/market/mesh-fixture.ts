import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultConfig, type NodeConfig } from '../../src/config/node-config.js'
import { TERMINAL_JOB_STATES, type JobRecord } from '../../src/jobs/job.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { startMeshNode, type MeshNode } from '../../src/node/mesh-node.js'
import { waitFor } from '../lan/wait.js'
import type { TestContext } from 'node:test'

/** The peers started with their data under each temp dir: they stop before it is removed. */
const peersIn = new Map<string, MeshNode[]>()
const stopping = new WeakMap<MeshNode, Promise<void>>()

/** Stops a peer once, however often it is asked (a test that restarts a peer stops it before its `after` does). */
export async function stopPeer (node: MeshNode): Promise<void> {
  const stopped = stopping.get(node) ?? node.stop()
  stopping.set(node, stopped)
  await stopped
}

/**
 * A temp dir removed after the test, once the peers kept in it have stopped: `after` hooks run in the order
 * they were registered, so this one would otherwise delete the data of peers still running, and a busy peer
 * that keeps writing there can keep the removal going forever.
 */
export async function tempDir (t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  peersIn.set(dir, [])
  t.after(async () => {
    for (const node of peersIn.get(dir) ?? []) await stopPeer(node)
    peersIn.delete(dir)
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/**
 * A custom service `slow` that waits `seconds` and copies its input: a stage that takes a while. Each run
 * adds its input's path (in the run's work folder) as a line to `dir/slow.runs`; a peer must run it with
 * `unsandboxed` for that line to reach the test, outside the job folder a sandboxed tool sees.
 */
export async function slowService (dir: string, seconds: number): Promise<NodeConfig['services'][number]> {
  const script = join(dir, 'slow.sh')
  await writeFile(script, `#!/bin/sh\necho "$1" >> "${join(dir, 'slow.runs')}"\nsleep ${seconds}\ncp "$1" "$2"\n`)
  await chmod(script, 0o755)
  return parseServiceConfig({ name: 'slow', command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]')
}

/** For a peer whose test watches its tools from outside their job folders: no sandbox for its tools. */
export function unsandboxed (config: NodeConfig): void {
  config.tools = { ...config.tools, sandbox: false }
}

/** The job's record once it has ended (done, failed or cancelled), as `node` keeps it. */
export async function jobEnded (node: MeshNode, id: string, timeoutMs = 30_000): Promise<JobRecord> {
  return waitFor(async () => {
    const job = await node.jobStore.get(id) as JobRecord
    return TERMINAL_JOB_STATES.includes(job.state) ? job : undefined
  }, { timeoutMs, intervalMs: 50, what: `job ${id} to end` })
}

/**
 * A real meshnode peer in this process, on 127.0.0.1 with mDNS off, stopped after the test. Its mesh is open:
 * these tests are about the market, and some attach a plain libp2p node as a member gone bad (the mesh key
 * has its own tests in test/lan/).
 */
export async function startPeer (t: TestContext, dir: string, name: string, change: (config: NodeConfig) => void | Promise<void> = () => {}): Promise<MeshNode> {
  const config = defaultConfig()
  Object.assign(config, { name, dataDir: join(dir, name), listen: ['/ip4/127.0.0.1/tcp/0'], open: true })
  config.mdns.enabled = false
  // Many peers share this machine: each HTTP API on a free port of its own.
  config.http = { listen: '127.0.0.1:0' }
  config.tools = { ...config.tools, embedded: { openscad: false, cura: false } }
  await change(config)
  const node = await startMeshNode(config)
  peersIn.get(dir)?.push(node)
  t.after(async () => { await stopPeer(node) })
  return node
}

/**
 * A requester that offers nothing and an executor of an instant `slow` service, connected, once the requester
 * lists the executor; data dirs under `dir/requester` and `dir/executor`.
 */
export async function startRequesterAndExecutor (t: TestContext, dir: string): Promise<{ requester: MeshNode, executor: MeshNode }> {
  const copy = await slowService(dir, 0)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [copy]; c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [copy]; unsandboxed(c) })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => {
    if (!requester.capabilities.peers().some(p => p.record.offers.includes('slow'))) throw new Error('executor not listed yet')
    return true
  }, { timeoutMs: 10_000, what: 'the requester to see the executor' })
  return { requester, executor }
}
