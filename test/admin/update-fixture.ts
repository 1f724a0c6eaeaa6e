import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ControlClient } from '../../src/api/control-client.js'
import { meshnodeBin, packageRoot } from '../../src/paths.js'
import { makeAdmin, writeJson, type Admin } from './admin-fixture.js'
import type { FleetEntry } from '../../src/admin/fleet-reports.js'

/** How often a supervised node is started again before the supervisor gives up (a crash loop). */
const MAX_STARTS = 8

/**
 * A `meshnode start` daemon run the way systemd runs it (Restart=on-failure): INVOCATION_ID set, and started again,
 * with the same command, whenever it exits with an error, as after an admin's restart (exit 75) or a crash.
 */
export class SupervisedNode {
  readonly name: string
  readonly dataDir: string
  readonly address: string
  private readonly args: string[]
  child?: ChildProcess
  starts = 0
  output = ''
  private stopped = false

  constructor (name: string, dataDir: string, port: number, args: string[]) {
    this.name = name
    this.dataDir = dataDir
    this.address = `/ip4/127.0.0.1/tcp/${port}`
    this.args = ['start', '--no-mdns', '--listen', this.address, '--http', 'off', ...args]
  }

  start (): void {
    if (this.stopped || ++this.starts > MAX_STARTS) return
    const child = spawn(process.execPath, [meshnodeBin, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INVOCATION_ID: 'test' } })
    this.child = child
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk })
    child.once('close', code => {
      this.output += `[exited with ${String(code)}]\n`
      if (code !== 0) setTimeout(() => { this.start() }, 200)
    })
  }

  /** SIGTERM by pid, SIGKILL after 10 s; no restart after. */
  async stop (): Promise<void> {
    this.stopped = true
    const child = this.child
    if (child == null || child.exitCode != null || child.signalCode != null) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await once(child, 'close')
    clearTimeout(killer)
  }

  /** This node's fleet view, or undefined while it is down (restarting). */
  async status (): Promise<FleetEntry[] | undefined> {
    return this.call('admin.status')
  }

  /** An API method through the node's control socket; undefined while it is down. */
  async call<T = any> (method: string, params: unknown = {}): Promise<T | undefined> {
    let client: ControlClient | undefined
    try {
      client = await ControlClient.connect(this.dataDir)
      return await client.call(method, params)
    } catch {
      return undefined
    } finally {
      client?.close()
    }
  }

  async self (): Promise<FleetEntry | undefined> {
    return (await this.status())?.find(e => e.self)
  }
}

export interface Fleet { dir: string, admin: Admin, nodes: SupervisedNode[] }

/**
 * Supervised daemons on loopback, each on a port taken from the OS for good (a restarted node comes back at its
 * address), each dialling the others; all stopped (by pid) and their folder removed by what `atEnd` is given
 * (a test's t.after).
 */
export async function startFleet (atEnd: (stop: () => Promise<void>) => void, names: string[], change: (name: string, config: Record<string, any>) => void = () => {}): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-update-'))
  const nodes: SupervisedNode[] = []
  atEnd(async () => {
    for (const node of nodes) await node.stop()
    await rm(dir, { recursive: true, force: true })
  })
  const admin = await makeAdmin(dir)
  const ports = []
  for (const _ of names) ports.push(await freePort())
  for (const [i, name] of names.entries()) {
    const config: Record<string, any> = { name, dataDir: join(dir, name), open: true, tags: ['fleet'], trust: { admin: [admin.publicKey] }, tools: { embedded: { openscad: false, cura: false } } }
    change(name, config)
    const file = await writeJson(dir, `${name}.json`, config)
    const peers = ports.filter((_, j) => j !== i).flatMap(port => ['--peer', `/ip4/127.0.0.1/tcp/${port}`])
    nodes.push(new SupervisedNode(name, join(dir, name), ports[i], ['--config', file, ...peers]))
  }
  for (const node of nodes) node.start()
  return { dir, admin, nodes }
}

/**
 * A meshnode package as "npm pack" makes it (package/ in a gzipped tar): this build with another version in its
 * package.json; with `program`, that is its program instead (a bad build's).
 */
export async function buildPackage (dir: string, version: string, program?: string): Promise<string> {
  const root = packageRoot()
  const staging = join(dir, `staging-${version}`)
  const pkg = join(staging, 'package')
  await mkdir(join(pkg, 'dist'), { recursive: true })
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ ...manifest, version }, null, 2))
  // What "npm pack" of a built checkout holds that the program reads at run time.
  for (const part of ['dist/src', 'dist/protocols', 'dist/web', 'examples', 'node-configs', 'protocols']) await cp(join(root, part), join(pkg, part), { recursive: true })
  if (program != null) await writeFile(join(pkg, 'dist', 'src', 'bin', 'meshnode.js'), program)
  const file = join(dir, `meshnode-${version}.tgz`)
  await promisify(execFile)('tar', ['-czf', file, '-C', staging, 'package'])
  await rm(staging, { recursive: true, force: true })
  return file
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}
