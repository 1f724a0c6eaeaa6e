/**
 * One large blob between two meshnode peers over /meshnode/blob/1.0.0, in a mesh without a key and in a keyed
 * one (a private network: every byte ChaCha20 under keys from the mesh key, on top of noise), against raw TCP (socat) and
 * scp, disk to disk, in the same run; the methods take turns, so a change in the machine's load hits them all.
 * Peers run as separate processes, with the V8 flags `meshnode start` gives a peer, so their peak RSS
 * and CPU are their own. A fourth row moves the same bytes over the same libp2p stream stack from memory
 * to nowhere (no disk, no hash): the ceiling the blob protocol works under.
 *
 *   node dist/bench/blob-transfer.js [--size-mib 256] [--runs 3] [--server-host 127.0.0.1] [--client-host 127.0.0.1] [--smoke]
 *
 * `--smoke` (8 MiB, 1 run unless given) checks that the bench works.
 *
 * The roles can also be started on their own (e.g. in network namespaces by a harness):
 *   node dist/bench/blob-transfer.js serve --dir D --file F --host H [--mesh-key K]   prints {"addr","hash","size"}; then a
 *                                                                        line "cpu" on stdin prints {"cpuMs"} used
 *                                                                        so far, and "stop" prints {"maxRssKiB"}
 *   node dist/bench/blob-transfer.js fetch --dir D --host H --addr A --hash X --size N [--stream] [--mesh-key K]
 *                                                                        prints {"ms","cpuMs","maxRssKiB"}
 *   node dist/bench/blob-transfer.js idle --dir D --host H                prints {"maxRssKiB"} of a peer at rest
 * Needs socat and scp/sshd (apt-get install socat openssh-server openssh-client); a missing tool skips its row.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { execa } from 'execa'
import { BlobService, BlobStore } from '../src/blobs/index.js'
import { sendBody } from '../src/blobs/send-body.js'
import { readStreamBody } from '../src/blobs/stream-body.js'
import { DAEMON_FLAGS } from '../src/node/daemon-flags.js'
import { createMeshLibp2p } from '../src/net/libp2p.js'
import { writeMeshKey } from '../src/net/mesh-key.js'
import { writeRandomFile } from '../test/blobs/fixtures.js'
import type { MeshLibp2p } from '../src/net/libp2p.js'
import type { Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
const RUN_TIMEOUT_MS = 300_000
/** libp2p alone: bytes from memory over a yamux stream on a noise connection, read and dropped. */
const STREAM_PROTOCOL = '/meshnode-bench/stream/1.0.0'

const smoke = process.argv.includes('--smoke')
const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    smoke: { type: 'boolean' },
    'size-mib': { type: 'string', default: smoke ? '8' : '256' },
    runs: { type: 'string', default: smoke ? '1' : '3' },
    'server-host': { type: 'string', default: '127.0.0.1' },
    'client-host': { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string' },
    file: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    addr: { type: 'string' },
    hash: { type: 'string' },
    size: { type: 'string' },
    stream: { type: 'boolean', default: false },
    'mesh-key': { type: 'string' }
  }
})

interface Peer {
  node: MeshLibp2p
  blobs: BlobService
  store: BlobStore
  addr: string
  stop: () => Promise<void>
}

async function peer (dir: string, host: string): Promise<Peer> {
  const store = await BlobStore.open(dir, { maxBlobBytes: 8 * 1024 * MiB })
  const node = await createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: [`/ip4/${host}/tcp/0`],
    mdns: { enabled: false, intervalMs: 1000 },
    meshKey: args['mesh-key'] != null ? new Uint8Array(await readFile(args['mesh-key'])) : undefined
  })
  const blobs = new BlobService(node, { store, timeoutMs: 30_000 })
  await blobs.start()
  return { node, blobs, store, addr: node.getMultiaddrs()[0].toString(), stop: async () => { await blobs.stop(); await node.stop() } }
}

function maxRssKiB (): number {
  return process.resourceUsage().maxRSS
}

/** CPU time of this process so far, every thread (the garbage collector's helpers included). */
function cpuMs (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Sends `size` bytes of one reused buffer, as the blob server sends a file. */
async function sendFromMemory (stream: Stream, size: number): Promise<void> {
  const chunk = new Uint8Array(MiB).fill(0x5a)
  async function * chunks (): AsyncIterable<Uint8Array> {
    for (let sent = 0; sent < size; sent += chunk.byteLength) yield chunk.subarray(0, Math.min(chunk.byteLength, size - sent))
  }
  await sendBody(stream, chunks(), RUN_TIMEOUT_MS)
  await stream.close()
}

async function serve (): Promise<void> {
  const server = await peer(String(args.dir), args.host)
  const { hash, size } = await server.store.importFile(String(args.file))
  await server.node.handle(STREAM_PROTOCOL, async (stream) => { await sendFromMemory(stream, size) })
  process.stdout.write(JSON.stringify({ addr: server.addr, hash, size }) + '\n')
  const input = createInterface({ input: process.stdin })
  for await (const line of input) {
    if (line !== 'cpu') break
    process.stdout.write(JSON.stringify({ cpuMs: cpuMs() }) + '\n')
  }
  input.close()
  process.stdin.destroy()
  await server.stop()
  process.stdout.write(JSON.stringify({ maxRssKiB: maxRssKiB() }) + '\n')
}

/** Reads the memory stream to its end; returns the bytes received. */
async function drainStream (client: Peer, addr: string): Promise<number> {
  const stream = await client.node.dialProtocol(multiaddr(addr), STREAM_PROTOCOL)
  let received = 0
  for await (const pieces of readStreamBody(stream, { idleTimeoutMs: 30_000, signal: AbortSignal.timeout(RUN_TIMEOUT_MS) })) {
    for (const piece of pieces) received += piece.byteLength
  }
  return received
}

async function fetchOnce (): Promise<void> {
  const client = await peer(String(args.dir), args.host)
  const cpuBefore = cpuMs()
  const started = performance.now()
  const received = args.stream
    ? await drainStream(client, String(args.addr))
    : (await client.blobs.fetch(multiaddr(String(args.addr)), String(args.hash), { expectedSize: Number(args.size) })).size
  const ms = performance.now() - started
  const cpu = cpuMs() - cpuBefore
  if (received !== Number(args.size)) throw new Error(`received ${received} bytes, expected ${String(args.size)}`)
  await client.stop()
  process.stdout.write(JSON.stringify({ ms, cpuMs: cpu, maxRssKiB: maxRssKiB() }) + '\n')
}

/** The same peer doing nothing, for scale: most of a peer's RSS is Node and libp2p, not the transfer. */
async function idle (): Promise<void> {
  const quiet = await peer(String(args.dir), args.host)
  await quiet.stop()
  process.stdout.write(JSON.stringify({ maxRssKiB: maxRssKiB() }) + '\n')
}

/** Runs this script in another role and returns its JSON lines. */
function role (name: string, roleArgs: string[]): { lines: AsyncIterator<string>, send: (line: string) => void, done: Promise<unknown> } {
  const child = spawn(process.execPath, [...DAEMON_FLAGS, process.argv[1], name, ...roleArgs], { stdio: ['pipe', 'pipe', 'inherit'], timeout: RUN_TIMEOUT_MS })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return { lines, send: (line) => child.stdin.write(line + '\n'), done: once(child, 'exit') }
}

async function nextJson<T> (lines: AsyncIterator<string>): Promise<T> {
  const { value, done } = await lines.next()
  if (done === true) throw new Error('peer process ended without answering')
  return JSON.parse(value) as T
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function timed (command: string, commandArgs: string[]): Promise<number> {
  const started = performance.now()
  await execa(command, commandArgs, { timeout: RUN_TIMEOUT_MS })
  return performance.now() - started
}

async function hasCommand (command: string): Promise<boolean> {
  return (await execa('which', [command], { reject: false })).exitCode === 0
}

interface Sample {
  ms: number
  /** CPU of the fetching and of the serving peer during the transfer, all threads. */
  cpuMs?: { client: number, server: number }
  clientRssKiB?: number
}

interface MeshnodeServer {
  addr: string
  hash: string
  /** Flags that put a fetching peer in the server's mesh. */
  keyArgs: string[]
  cpuMs: () => Promise<number>
  /** Stops the serving peer; resolves to its peak RSS. */
  stop: () => Promise<number>
}

/** With `meshKey` (a key file) both peers of the run are in that keyed mesh. */
async function startMeshnodeServer (work: string, file: string, meshKey?: string): Promise<MeshnodeServer> {
  const keyArgs = meshKey != null ? ['--mesh-key', meshKey] : []
  const server = role('serve', ['--dir', join(work, meshKey != null ? 'keyed-server-store' : 'server-store'), '--file', file, '--host', args['server-host'], ...keyArgs])
  const { addr, hash } = await nextJson<{ addr: string, hash: string }>(server.lines)
  return {
    addr,
    hash,
    keyArgs,
    cpuMs: async () => {
      server.send('cpu')
      return (await nextJson<{ cpuMs: number }>(server.lines)).cpuMs
    },
    stop: async () => {
      server.send('stop')
      const { maxRssKiB: rss } = await nextJson<{ maxRssKiB: number }>(server.lines)
      await server.done
      return rss
    }
  }
}

/** One fetch by a fresh peer process: the blob into its store, or with `stream` the memory stream. */
async function meshnodeRun (work: string, server: MeshnodeServer, size: number, run: number, stream: boolean): Promise<Sample> {
  const dir = join(work, `client-store-${run}`)
  const serverCpuBefore = await server.cpuMs()
  const client = role('fetch', ['--dir', dir, '--host', args['client-host'], '--addr', server.addr, '--hash', server.hash, '--size', String(size), ...(stream ? ['--stream'] : []), ...server.keyArgs])
  const report = await nextJson<{ ms: number, cpuMs: number, maxRssKiB: number }>(client.lines)
  await client.done
  const serverCpu = await server.cpuMs() - serverCpuBefore
  await rm(dir, { recursive: true, force: true })
  return { ms: report.ms, cpuMs: { client: report.cpuMs, server: serverCpu }, clientRssKiB: report.maxRssKiB }
}

async function socatRun (work: string, file: string, size: number, run: number): Promise<Sample> {
  const port = 41000 + run
  const out = join(work, `socat-${run}.bin`)
  const listener = execa('socat', ['-u', `FILE:${file}`, `TCP-LISTEN:${port},bind=${args['server-host']},reuseaddr`], { timeout: RUN_TIMEOUT_MS })
  await new Promise(resolve => setTimeout(resolve, 300))
  const ms = await timed('socat', ['-u', `TCP:${args['server-host']}:${port}`, `CREATE:${out}`])
  await listener
  if ((await stat(out)).size !== size) throw new Error('socat copy has the wrong size')
  await rm(out)
  return { ms }
}

interface LoopbackSshd {
  /** scp options that reach this sshd with its throwaway key and no host-key prompts. */
  scpOptions: string[]
  stop: () => Promise<void>
}

/** An sshd on a high port with throwaway host and client keys, living in `work`, killed by its pid. */
async function startSshd (work: string, host: string): Promise<LoopbackSshd> {
  // A port free now, not a fixed one: two benches at once (or a test's) would otherwise reach each other's sshd.
  const port = await freePort(host)
  const dir = join(work, 'sshd')
  await mkdir(dir, { recursive: true })
  await mkdir('/run/sshd', { recursive: true })
  const hostKey = join(dir, 'host_ed25519')
  const clientKey = join(dir, 'client_ed25519')
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey])
  const config = join(dir, 'sshd_config')
  await writeFile(config, [
    `Port ${port}`, `ListenAddress ${host}`, `HostKey ${hostKey}`, `AuthorizedKeysFile ${clientKey}.pub`,
    `PidFile ${join(dir, 'sshd.pid')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'UsePAM no', 'StrictModes no', 'Subsystem sftp internal-sftp'
  ].join('\n') + '\n')
  const daemon = execa('/usr/sbin/sshd', ['-D', '-e', '-f', config], { reject: false })
  const keyOptions = ['-i', clientKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes']
  let ready = false
  for (let attempt = 0; attempt < 100 && !ready; attempt++) {
    ready = (await execa('ssh', ['-p', String(port), ...keyOptions, `root@${host}`, 'true'], { reject: false })).exitCode === 0
    if (!ready) await new Promise(resolve => setTimeout(resolve, 100))
  }
  if (!ready) {
    daemon.kill('SIGTERM')
    const { stderr } = await daemon
    throw new Error(`the bench's sshd on ${host}:${port} did not take a login within 10 s: ${String(stderr).trim().split('\n').slice(-3).join(' / ')}`)
  }
  return {
    scpOptions: ['-q', '-P', String(port), ...keyOptions],
    stop: async () => {
      // An sshd that could not start has exited already: nothing to end.
      daemon.kill('SIGTERM')
      await daemon
    }
  }
}

async function scpRun (sshd: LoopbackSshd, work: string, file: string, size: number, run: number): Promise<Sample> {
  const out = join(work, `scp-${run}.bin`)
  const ms = await timed('scp', [...sshd.scpOptions, `root@${args['server-host']}:${file}`, out])
  if ((await stat(out)).size !== size) throw new Error('scp copy has the wrong size')
  await rm(out)
  return { ms }
}

function row (name: string, size: number, samples: Sample[], rss = ''): string {
  const rates = samples.map(sample => size / MiB / (sample.ms / 1000))
  const cpu = samples.flatMap(sample => sample.cpuMs == null ? [] : [sample.cpuMs])
  const cpuText = cpu.length === 0 ? '' : `${(median(cpu.map(c => c.client)) / 1000).toFixed(2)} s + ${(median(cpu.map(c => c.server)) / 1000).toFixed(2)} s`
  return `| ${name} | ${median(rates).toFixed(0)} | ${rates.map(r => r.toFixed(0)).join(', ')} | ${cpuText} | ${rss} |`
}

async function main (): Promise<void> {
  const sizeMiB = Number(args['size-mib'])
  const runs = Number(args.runs)
  const size = sizeMiB * MiB
  const work = await mkdtemp(join(tmpdir(), 'meshnode-bench-blobs-'))
  try {
    const file = join(work, 'blob.bin')
    await writeRandomFile(file, size)
    const baseline = role('idle', ['--dir', join(work, 'idle-store'), '--host', args['client-host']])
    const { maxRssKiB: idleRss } = await nextJson<{ maxRssKiB: number }>(baseline.lines)
    await baseline.done
    const hasSocat = await hasCommand('socat')
    const hasScp = await hasCommand('scp') && await hasCommand('sshd')
    const meshKey = join(work, 'mesh.key')
    await writeMeshKey(meshKey)
    const server = await startMeshnodeServer(work, file)
    const keyedServer = await startMeshnodeServer(work, file, meshKey)
    const sshd = hasScp ? await startSshd(work, args['server-host']) : undefined
    const samples = { blob: [] as Sample[], keyed: [] as Sample[], stream: [] as Sample[], keyedStream: [] as Sample[], socat: [] as Sample[], scp: [] as Sample[] }
    let serverRss: number
    let keyedServerRss: number
    try {
      for (let run = 0; run < runs; run++) {
        samples.blob.push(await meshnodeRun(work, server, size, run, false))
        samples.keyed.push(await meshnodeRun(work, keyedServer, size, run, false))
        samples.stream.push(await meshnodeRun(work, server, size, run, true))
        samples.keyedStream.push(await meshnodeRun(work, keyedServer, size, run, true))
        if (hasSocat) samples.socat.push(await socatRun(work, file, size, run))
        if (sshd != null) samples.scp.push(await scpRun(sshd, work, file, size, run))
      }
    } finally {
      serverRss = await server.stop()
      keyedServerRss = await keyedServer.stop()
      await sshd?.stop()
    }
    const peakRss = (serving: number, fetches: Sample[]): string =>
      `server ${(serving / 1024).toFixed(0)} MiB, client max ${(Math.max(...fetches.map(sample => sample.clientRssKiB ?? 0)) / 1024).toFixed(0)} MiB`
    const keyCost = (plain: Sample[], keyed: Sample[]): string => `${((1 - median(plain.map(p => p.ms)) / median(keyed.map(k => k.ms))) * 100).toFixed(0)}%`
    const lines = [
      `${sizeMiB} MiB, ${runs} runs, server ${args['server-host']}, client ${args['client-host']}, peers run with ${DAEMON_FLAGS.join(' ')} as shipped peers do`, '',
      '| method | median MiB/s | runs MiB/s | CPU per transfer (fetching + serving peer) | peak RSS |', '| --- | --- | --- | --- | --- |',
      row('meshnode blob protocol', size, samples.blob, `${peakRss(serverRss, samples.blob)} (idle peer ${(idleRss / 1024).toFixed(0)} MiB)`),
      row('meshnode blob protocol, keyed mesh', size, samples.keyed, peakRss(keyedServerRss, samples.keyed)),
      row('libp2p stream alone (no disk, no hash)', size, samples.stream),
      row('libp2p stream alone, keyed mesh', size, samples.keyedStream),
      hasSocat ? row('raw TCP (socat)', size, samples.socat) : '| raw TCP (socat) | skipped: socat not installed | | | |',
      hasScp ? row('scp', size, samples.scp) : '| scp | skipped: scp or sshd not installed | | | |',
      '', `The mesh key's cost (share of the keyed median time not spent without a key): blob protocol ${keyCost(samples.blob, samples.keyed)}, stream alone ${keyCost(samples.stream, samples.keyedStream)}.`
    ]
    process.stdout.write(lines.join('\n') + '\n')
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** A TCP port nothing listens on at this moment. */
async function freePort (host: string): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, host, resolve) })
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

const roles: Record<string, () => Promise<void>> = { serve, fetch: fetchOnce, idle }
await (roles[positionals[0] ?? ''] ?? main)()
