import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ControlClient } from '../api/control-client.js'
import { MESH_KEY_FILE, writeMeshKey } from '../net/mesh-key.js'
import { meshnodeBin, packageRoot } from '../paths.js'

export interface DemoPeer {
  name: string
  config: string
  dataDir: string
  address: string
  log: string
  process?: ChildProcess
  /** Settles once the process has exited (or failed to start). */
  exited?: Promise<void>
}

const READY_TIMEOUT_MS = 30_000

/** The mesh was stopped (Ctrl-C) while it was still starting. */
export class DemoStoppedError extends Error {
  constructor () {
    super('the demo was stopped while its peers were starting')
    this.name = 'DemoStoppedError'
  }
}

/**
 * Three real peers in their own processes and data dirs, on loopback with mDNS off, each dialling the
 * others directly: a workstation (scad), a build server (slice) and a printer Pi with a virtual printer.
 */
export class DemoMesh {
  readonly peers: DemoPeer[]
  /** One key for the three peers, made in the demo's dir: a private mesh, like every mesh by default. */
  readonly meshKey: string
  private stopping = false

  private constructor (peers: DemoPeer[], meshKey: string) {
    this.peers = peers
    this.meshKey = meshKey
  }

  /**
   * Names the peers and picks their ports; starts nothing, so that the caller can arrange for Ctrl-C to stop()
   * the mesh before start() spawns the first peer.
   */
  static async plan (baseDir: string): Promise<DemoMesh> {
    const names = ['workstation', 'build-server', 'printer-pi']
    const peers: DemoPeer[] = []
    for (const name of names) {
      const port = await freePort()
      peers.push({
        name,
        config: join(packageRoot(), 'node-configs', `demo-${name}.json`),
        dataDir: join(baseDir, name),
        address: `/ip4/127.0.0.1/tcp/${port}`,
        log: join(baseDir, `${name}.log`)
      })
    }
    return new DemoMesh(peers, join(baseDir, MESH_KEY_FILE))
  }

  /** Spawns the three peers and waits until each lists the two others; on any failure stops those it started. */
  async start (): Promise<void> {
    try {
      // A demo run again in the same --dir keeps its key, as its peers keep their data dirs.
      await writeMeshKey(this.meshKey).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
      for (const peer of this.peers) await this.spawn(peer)
      await this.waitUntilConnected()
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Each peer lists the two others: the mesh is ready for work. */
  private async waitUntilConnected (): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (const peer of this.peers) {
      for (;;) {
        if (this.stopping) throw new DemoStoppedError()
        const known = await this.call(peer, 'peers').catch(() => [])
        if (known.length === this.peers.length - 1) break
        if (Date.now() > deadline) throw new Error(`the demo peers did not find each other within ${READY_TIMEOUT_MS / 1000} s (see ${peer.log})`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
  }

  async call (peer: DemoPeer, method: string, params: unknown = {}, onEvent?: (event: any) => void): Promise<any> {
    const client = await ControlClient.connect(peer.dataDir)
    try {
      return await client.call(method, params, onEvent)
    } finally {
      client.close()
    }
  }

  /**
   * SIGTERM to each peer we started (by its pid), then wait for it to exit. Safe to call at any time and more
   * than once: a peer that start() has not spawned yet is never spawned.
   */
  async stop (): Promise<void> {
    this.stopping = true
    await Promise.all(this.peers.map(async peer => {
      const child = peer.process
      if (child == null || peer.exited == null) return
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await peer.exited
      clearTimeout(timer)
    }))
  }

  private async spawn (peer: DemoPeer): Promise<void> {
    await mkdir(peer.dataDir, { recursive: true })
    if (this.stopping) throw new DemoStoppedError()
    const others = this.peers.filter(p => p !== peer).map(p => ['--peer', p.address]).flat()
    const log = createWriteStream(peer.log)
    const child = spawn(process.execPath, [meshnodeBin, 'start', '--config', peer.config, '--data-dir', peer.dataDir, '--listen', peer.address, '--mesh-key', this.meshKey, '--http', '127.0.0.1:0', ...others], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout.pipe(log)
    child.stderr.pipe(log)
    peer.process = child
    peer.exited = new Promise(resolve => {
      child.once('exit', () => resolve())
      child.once('error', () => resolve())
    })
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      if (this.stopping) throw new DemoStoppedError()
      if (child.exitCode != null) throw new Error(`${peer.name} exited with code ${child.exitCode} (see ${peer.log})`)
      if (await this.call(peer, 'status').then(() => true, () => false)) return
      if (Date.now() > deadline) throw new Error(`${peer.name} did not start within ${READY_TIMEOUT_MS / 1000} s (see ${peer.log})`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address != null ? address.port : 0) })
    })
  })
}
