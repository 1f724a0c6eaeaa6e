import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeMeshKey } from '../../src/net/mesh-key.js'
import { meshnodeBin } from '../../src/paths.js'
import { cablesReady, createNetwork, destroyNetwork, setLink } from './netns.js'
import { signal, spawnInNamespace, tail, terminate, waitExit } from './processes.js'
import { waitFor } from './wait.js'
import type { Namespace, Network } from './netns.js'
import type { ExitStatus, LanProcess } from './processes.js'
import type { TestContext } from 'node:test'

export { waitFor, WaitTimeoutError } from './wait.js'
export type { WaitOptions } from './wait.js'
export { NamespaceError, listLinks, listNamespaces } from './netns.js'
export type { Namespace } from './netns.js'
export type { ExitStatus, LanProcess } from './processes.js'

/** What a peer advertises about itself: the common part of `status --json` and `peers --json`. */
export interface PeerRecord {
  peerId: string
  name: string
  addresses: string[]
  offers: string[]
  tools: unknown
  printers: unknown
}

/** What `meshnode status --json` prints. */
export interface NodeStatus extends PeerRecord {
  uptimeMs: number
  load: unknown
}

/** One entry of `meshnode peers --json`: another peer as this node sees it. */
export interface PeerEntry extends PeerRecord {
  lastSeen: unknown
  rttMs: number | null
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface MeshNodeOptions {
  /** Defaults to node-<index>. */
  name?: string
  /** mDNS discovery; on unless told. */
  mdns?: boolean
  /** Passed as --mdns-interval when given. */
  mdnsIntervalMs?: number
  /** Further `meshnode start` flags, e.g. ['--offer', 'scad', '--mesh-key', file]. */
  args?: string[]
  /**
   * Which mesh the node is in. `lan` (the default, as a workshop runs) passes `--mesh-key` with the one key
   * this LAN's nodes share (lan.meshKey); `open` starts it with `--open`; `own` passes nothing, so the node
   * makes its own key at its first start (or uses one `meshnode join` wrote). A `--mesh-key` or `--open` in
   * `args` wins over all three.
   */
  mesh?: 'lan' | 'open' | 'own'
  /** Environment for the daemon (e.g. DEBUG); the test's own environment unless told. */
  env?: NodeJS.ProcessEnv
}

/** A `meshnode start` daemon in one namespace. Survives restarts: `process` is the current one. */
export interface MeshNode {
  index: number
  name: string
  ns: Namespace
  dataDir: string
  /** The address it listens on: /ip4/<ns address>/tcp/4001. */
  listen: string
  /** The full `start` argument list, reused by restart(). */
  startArgs: string[]
  env: NodeJS.ProcessEnv | undefined
  process: LanProcess
  /** Set by waitReady() from `status --json`. */
  peerId: string | undefined
}

export interface LanOptions {
  /** How many namespaces (machines) on the bridge. */
  size: number
}

const LISTEN_PORT = 4001
const READY_TIMEOUT_MS = 30_000
const CLI_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000
const CLI_OUTPUT_CAP = 4 * 1024 * 1024

const live = new Set<Lan>()
let lanOrdinal = 0
let exitHooksInstalled = false

/** Process-level safety net: whatever a test forgot or could not clean up goes when the process ends. */
function installExitHooks (): void {
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  process.on('exit', () => { for (const lan of live) lan.closeSync() })
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const lan of live) lan.closeSync()
      // Our listener is gone (once), so this ends the process the way the signal would have.
      process.kill(process.pid, sig)
    })
  }
}

/**
 * A simulated workshop LAN: `size` network namespaces on one bridge, and the processes started in them.
 * Create it with createLan(); everything it made is removed by close(), by the test's `after` hook when
 * created with a test context, and by exit/SIGINT/SIGTERM hooks otherwise.
 */
export class Lan {
  readonly network: Network
  readonly dir: string
  /** The mesh key file the LAN's nodes share unless told otherwise (see MeshNodeOptions.mesh). */
  readonly meshKey: string
  readonly nodes: MeshNode[] = []
  private readonly processes = new Set<LanProcess>()
  /** The latest process of each name, running or not, for log tails. */
  private readonly logged = new Map<string, LanProcess>()
  private closed = false

  constructor (network: Network, dir: string) {
    this.network = network
    this.dir = dir
    this.meshKey = join(dir, 'lan-mesh.key')
  }

  get namespaces (): Namespace[] { return this.network.namespaces }

  namespace (index: number): Namespace {
    const ns = this.network.namespaces[index]
    if (ns === undefined) throw new RangeError(`this LAN has namespaces 0..${this.network.namespaces.length - 1}, not ${index}`)
    return ns
  }

  /** The pids of the processes the harness started that are still running. */
  pids (): number[] {
    return [...this.processes].map(proc => proc.pid)
  }

  /** Starts any program inside namespace `index`; it is tracked, logged and cleaned up like a node. */
  spawn (index: number, name: string, argv: string[], env?: NodeJS.ProcessEnv): LanProcess {
    this.assertOpen()
    const proc = spawnInNamespace(this.namespace(index), name, argv, join(this.dir, 'logs', name), env)
    this.processes.add(proc)
    this.logged.set(name, proc)
    void proc.exited.then(() => this.processes.delete(proc))
    return proc
  }

  /** Runs a program to completion inside namespace `index` (bounded) and returns its output. */
  async exec (index: number, argv: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
    this.assertOpen()
    return runBounded(['ip', 'netns', 'exec', this.namespace(index).name, 'setpriv', '--pdeathsig', 'KILL', '--', ...argv], timeoutMs)
  }

  /** Starts `meshnode start` in namespace `index` without waiting for it to be ready. */
  launch (index: number, options: MeshNodeOptions = {}): MeshNode {
    if (this.nodes.some(node => node.index === index)) throw new Error(`namespace ${index} already runs a node`)
    const ns = this.namespace(index)
    const name = options.name ?? `node-${index}`
    const dataDir = join(this.dir, name, 'data')
    mkdirSync(dataDir, { recursive: true })
    const listen = `/ip4/${ns.address}/tcp/${LISTEN_PORT}`
    const startArgs = ['start', '--data-dir', dataDir, '--name', name, '--listen', listen]
    if (options.mdns === false) startArgs.push('--no-mdns')
    if (options.mdnsIntervalMs !== undefined) startArgs.push('--mdns-interval', String(options.mdnsIntervalMs))
    const args = options.args ?? []
    if (!args.includes('--mesh-key') && !args.includes('--open')) {
      const mesh = options.mesh ?? 'lan'
      if (mesh === 'lan') startArgs.push('--mesh-key', this.meshKey)
      if (mesh === 'open') startArgs.push('--open')
    }
    startArgs.push(...args)
    const node: MeshNode = {
      index, name, ns, dataDir, listen, startArgs, env: options.env, peerId: undefined,
      process: this.spawn(index, name, [process.execPath, meshnodeBin, ...startArgs], options.env)
    }
    this.nodes.push(node)
    return node
  }

  /** Starts a node in namespace `index` and waits until `status --json` answers. */
  async start (index: number, options: MeshNodeOptions = {}): Promise<MeshNode> {
    const node = this.launch(index, options)
    await this.waitReady(node)
    return node
  }

  /** Starts a node in every namespace at once; `options` may differ per node. */
  async startAll (options: MeshNodeOptions | ((index: number) => MeshNodeOptions) = {}): Promise<MeshNode[]> {
    const nodes = this.namespaces.map(ns => this.launch(ns.index, typeof options === 'function' ? options(ns.index) : options))
    await Promise.all(nodes.map(async node => this.waitReady(node)))
    return nodes
  }

  /**
   * Waits until the node's control socket exists and `status --json` answers with its peer id; fails at
   * once, naming the exit status, if the daemon exits first.
   */
  async waitReady (node: MeshNode, timeoutMs = READY_TIMEOUT_MS): Promise<NodeStatus> {
    const proc = node.process
    const status = await waitFor(async () => {
      if (proc.exitStatus !== undefined) {
        throw new DaemonExitedError(`${node.name} exited (code ${proc.exitStatus.code}, signal ${proc.exitStatus.signal}) before it was ready:\n${this.logTail(node, 20)}`)
      }
      if (!existsSync(join(node.dataDir, 'control.sock'))) return undefined
      return this.status(node)
    }, { timeoutMs, intervalMs: 100, what: `${node.name} to answer status --json`, failFast: (err) => err instanceof DaemonExitedError })
    node.peerId = status.peerId
    return status
  }

  /** A meshnode CLI command in namespace `index` with no data dir added: cli(0, ['keygen', file]). */
  async cli (index: number, args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
    return this.exec(index, [process.execPath, meshnodeBin, ...args], timeoutMs)
  }

  /** Any meshnode CLI command against this node's data dir, run in its namespace: runCli(node, ['peers', '--json']). */
  async runCli (node: MeshNode, args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
    return this.cli(node.index, [...args, '--data-dir', node.dataDir], timeoutMs)
  }

  /**
   * A CLI command run as a user at the node's machine runs it: outside the namespace, talking to the daemon
   * over its control socket (a file, not the network). It saves the ~5 ms of `ip netns exec` that runCli
   * costs, which a benchmark of the CLI must not count.
   */
  async runCliOnHost (node: MeshNode, args: string[], timeoutMs = CLI_TIMEOUT_MS, bin = meshnodeBin): Promise<CliResult> {
    this.assertOpen()
    return runBounded([process.execPath, bin, ...args, '--data-dir', node.dataDir], timeoutMs)
  }

  async status (node: MeshNode): Promise<NodeStatus> {
    return this.cliJson<NodeStatus>(node, ['status', '--json'])
  }

  /** The other peers this node lists. */
  async peers (node: MeshNode): Promise<PeerEntry[]> {
    return this.cliJson<PeerEntry[]>(node, ['peers', '--json'])
  }

  /** kill -9 by its pid; resolves once it is gone. */
  async kill9 (node: MeshNode): Promise<ExitStatus> {
    signal(node.process, 'SIGKILL')
    const status = await waitExit(node.process, STOP_TIMEOUT_MS)
    if (status === undefined) throw new Error(`${node.name} (pid ${node.process.pid}) still runs ${STOP_TIMEOUT_MS} ms after SIGKILL`)
    return status
  }

  /** SIGTERM and wait; throws if it does not exit with code 0 within 10 s (it is then killed). */
  async stop (node: MeshNode): Promise<ExitStatus> {
    signal(node.process, 'SIGTERM')
    const status = await waitExit(node.process, STOP_TIMEOUT_MS)
    if (status === undefined) {
      await this.kill9(node)
      throw new Error(`${node.name} did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM (killed it):\n${this.logTail(node, 20)}`)
    }
    if (status.code !== 0) throw new Error(`${node.name} exited with code ${status.code}, signal ${status.signal} after SIGTERM, not 0:\n${this.logTail(node, 20)}`)
    return status
  }

  /** Starts the node again with the same data dir and flags (stopping it first if it runs) and waits until ready. */
  async restart (node: MeshNode): Promise<NodeStatus> {
    if (node.process.exitStatus === undefined) await this.stop(node)
    this.relaunch(node)
    return this.waitReady(node)
  }

  /** Starts a node that has exited again, same data dir and flags, without waiting for it to be ready. */
  relaunch (node: MeshNode): LanProcess {
    if (node.process.exitStatus === undefined) throw new Error(`${node.name} still runs (pid ${node.process.pid})`)
    node.process = this.spawn(node.index, node.name, [process.execPath, meshnodeBin, ...node.startArgs], node.env)
    return node.process
  }

  /** Pulls the node's cable: its veth goes down, the namespace keeps its address and routes. */
  cutLink (node: MeshNode): void { setLink(node.ns.hostVeth, 'down') }

  restoreLink (node: MeshNode): void { setLink(node.ns.hostVeth, 'up') }

  /** The last lines of every process's stdout and stderr, for a failure report. */
  logTails (lines = 30): string {
    return [...this.logged.values()].map(proc => processTail(proc, lines)).join('\n')
  }

  /**
   * Prints every process's log tail to stderr if the test failed. createLan(t) does this itself; a suite
   * sharing one LAN calls it from afterEach((t) => lan.reportIfFailed(t)).
   */
  reportIfFailed (t: { readonly name: string }): void {
    // Node 24 has TestContext.passed; @types/node 24.19 does not declare it yet.
    if ((t as { readonly passed?: boolean }).passed !== false) return
    process.stderr.write(`\n${t.name} failed; logs of the LAN's processes:\n${this.logTails()}\n`)
  }

  logTail (node: MeshNode, lines: number): string {
    return processTail(node.process, lines)
  }

  /** Stops every process (SIGTERM, then SIGKILL), removes namespaces, veths, bridge and the temp dir. Idempotent. */
  async close (): Promise<void> {
    if (this.closed) return
    await Promise.all([...this.processes].map(async proc => terminate(proc, STOP_TIMEOUT_MS)))
    this.closeSync()
  }

  /** The same, synchronously and bluntly (SIGKILL), for exit and signal handlers. */
  closeSync (): void {
    if (this.closed) return
    this.closed = true
    live.delete(this)
    for (const proc of this.processes) signal(proc, 'SIGKILL')
    const failures = destroyNetwork(this.network)
    rmSync(this.dir, { recursive: true, force: true })
    if (failures.length > 0) process.stderr.write(`lan harness: could not remove everything of ${this.network.tag}:\n${failures.join('\n')}\n`)
  }

  private async cliJson<T> (node: MeshNode, args: string[]): Promise<T> {
    const result = await this.runCli(node, args)
    if (result.code !== 0) throw new Error(`meshnode ${args.join(' ')} on ${node.name} exited ${result.code}: ${result.stderr.trim()}`)
    try {
      return JSON.parse(result.stdout) as T
    } catch (err) {
      throw new Error(`meshnode ${args.join(' ')} on ${node.name} printed no JSON: ${result.stdout.slice(0, 500)}`, { cause: err })
    }
  }

  private assertOpen (): void {
    if (this.closed) throw new Error(`the LAN ${this.network.tag} is closed`)
  }
}

export class DaemonExitedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DaemonExitedError'
  }
}

/**
 * Makes a LAN of `options.size` namespaces. With a test context, its `after` hook prints every node's log
 * tail if the test failed and then removes everything; without one (a benchmark) call close() yourself.
 * Throws NamespaceError with a clear message when namespaces cannot be made (not root, no CAP_NET_ADMIN).
 */
export async function createLan (t: TestContext | undefined, options: LanOptions): Promise<Lan> {
  installExitHooks()
  const ordinal = lanOrdinal++
  const tag = `mn${process.pid}${ordinalLetters(ordinal)}`
  const dir = mkdtempSync(join(tmpdir(), `meshnode-lan-${tag}-`))
  mkdirSync(join(dir, 'logs'))
  let network: Network
  try {
    network = createNetwork(tag, options.size, ordinal)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const lan = new Lan(network, dir)
  live.add(lan)
  t?.after(async () => {
    lan.reportIfFailed(t)
    await lan.close()
  })
  try {
    await writeMeshKey(lan.meshKey)
    await waitFor(() => cablesReady(network), { timeoutMs: 10_000, intervalMs: 20, what: `the veths of ${tag} to carry traffic` })
  } catch (err) {
    await lan.close()
    throw err
  }
  return lan
}

function processTail (proc: LanProcess, lines: number): string {
  const exit = proc.exitStatus === undefined ? 'running' : `exited code ${proc.exitStatus.code} signal ${proc.exitStatus.signal}`
  return `==== ${proc.name} (pid ${proc.pid}, ${exit}) stdout ====\n${tail(proc.stdoutPath, lines)}\n` +
    `==== ${proc.name} stderr ====\n${tail(proc.stderrPath, lines)}\n`
}

/** 0 -> "a", 25 -> "z", 26 -> "ba": short, and letters keep the pid's digits from running into it. */
function ordinalLetters (n: number): string {
  let s = ''
  do { s = String.fromCharCode(97 + (n % 26)) + s; n = Math.floor(n / 26) } while (n > 0)
  return s
}

/** Runs argv (no shell) with a time limit, killing it by its pid on timeout; output capped. */
async function runBounded (argv: string[], timeoutMs: number): Promise<CliResult> {
  const [file, ...args] = argv
  if (file === undefined) throw new Error('empty argv')
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { if (stdout.length < CLI_OUTPUT_CAP) stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { if (stderr.length < CLI_OUTPUT_CAP) stderr += chunk })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }))
  })
}
