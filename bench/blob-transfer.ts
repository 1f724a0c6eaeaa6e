/**
 * One large blob between two meshnode peers over /meshnode/blob/1.0.0, against raw TCP (socat) and scp,
 * disk to disk, in the same run. Peers run as separate processes so their peak RSS is their own.
 *
 *   node dist/bench/blob-transfer.js [--size-mib 256] [--runs 3] [--server-host 127.0.0.1] [--client-host 127.0.0.1]
 *
 * The roles can also be started on their own (e.g. in network namespaces by a harness):
 *   node dist/bench/blob-transfer.js serve --dir D --file F --host H      prints {"addr","hash","size"}, then
 *                                                                        waits for a line on stdin and prints {"maxRssKiB"}
 *   node dist/bench/blob-transfer.js fetch --dir D --host H --addr A --hash X --size N
 *                                                                        prints {"ms","maxRssKiB"}
 *   node dist/bench/blob-transfer.js idle --dir D --host H                prints {"maxRssKiB"} of a peer at rest
 * Needs socat and scp/sshd (apt-get install socat openssh-server openssh-client); a missing tool skips its row.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { execa } from 'execa'
import { BlobService, BlobStore } from '../src/blobs/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import { writeRandomFile } from '../test/blobs/fixtures.js'

const MiB = 1024 * 1024
const RUN_TIMEOUT_MS = 300_000

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    'size-mib': { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    'server-host': { type: 'string', default: '127.0.0.1' },
    'client-host': { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string' },
    file: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    addr: { type: 'string' },
    hash: { type: 'string' },
    size: { type: 'string' }
  }
})

async function peer (dir: string, host: string): Promise<{ blobs: BlobService, store: BlobStore, stop: () => Promise<void>, addr: string }> {
  const store = await BlobStore.open(dir, { maxBlobBytes: 8 * 1024 * MiB })
  const node = await createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: [`/ip4/${host}/tcp/0`],
    mdns: { enabled: false, intervalMs: 1000 }
  })
  const blobs = new BlobService(node, { store, timeoutMs: 30_000 })
  await blobs.start()
  return { blobs, store, addr: node.getMultiaddrs()[0].toString(), stop: async () => { await blobs.stop(); await node.stop() } }
}

function maxRssKiB (): number {
  return process.resourceUsage().maxRSS
}

async function serve (): Promise<void> {
  const server = await peer(String(args.dir), args.host)
  const { hash, size } = await server.store.importFile(String(args.file))
  process.stdout.write(JSON.stringify({ addr: server.addr, hash, size }) + '\n')
  const input = createInterface({ input: process.stdin })
  await once(input, 'line')
  input.close()
  process.stdin.destroy()
  await server.stop()
  process.stdout.write(JSON.stringify({ maxRssKiB: maxRssKiB() }) + '\n')
}

async function fetchOnce (): Promise<void> {
  const client = await peer(String(args.dir), args.host)
  const started = performance.now()
  const result = await client.blobs.fetch(multiaddr(String(args.addr)), String(args.hash), { expectedSize: Number(args.size) })
  const ms = performance.now() - started
  if (result.size !== Number(args.size)) throw new Error(`fetched ${result.size} bytes, expected ${String(args.size)}`)
  await client.stop()
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: maxRssKiB() }) + '\n')
}

/** The same peer doing nothing, for scale: most of a peer's RSS is Node and libp2p, not the transfer. */
async function idle (): Promise<void> {
  const quiet = await peer(String(args.dir), args.host)
  await quiet.stop()
  process.stdout.write(JSON.stringify({ maxRssKiB: maxRssKiB() }) + '\n')
}

/** Runs this script in another role and returns its JSON lines. */
function role (name: string, roleArgs: string[]): { lines: AsyncIterator<string>, send: (line: string) => void, done: Promise<unknown> } {
  const child = spawn(process.execPath, [process.argv[1], name, ...roleArgs], { stdio: ['pipe', 'pipe', 'inherit'], timeout: RUN_TIMEOUT_MS })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return { lines, send: (line) => child.stdin.end(line + '\n'), done: once(child, 'exit') }
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

async function benchMeshnode (work: string, file: string, size: number, runs: number): Promise<{ ms: number[], serverRss: number, clientRss: number[] }> {
  const server = role('serve', ['--dir', join(work, 'server-store'), '--file', file, '--host', args['server-host']])
  const ready = await nextJson<{ addr: string, hash: string }>(server.lines)
  const ms: number[] = []
  const clientRss: number[] = []
  for (let run = 0; run < runs; run++) {
    const dir = join(work, `client-store-${run}`)
    const client = role('fetch', ['--dir', dir, '--host', args['client-host'], '--addr', ready.addr, '--hash', ready.hash, '--size', String(size)])
    const report = await nextJson<{ ms: number, maxRssKiB: number }>(client.lines)
    await client.done
    ms.push(report.ms)
    clientRss.push(report.maxRssKiB)
    await rm(dir, { recursive: true, force: true })
  }
  server.send('stop')
  const { maxRssKiB: serverRss } = await nextJson<{ maxRssKiB: number }>(server.lines)
  await server.done
  return { ms, serverRss, clientRss }
}

async function benchSocat (work: string, file: string, size: number, runs: number): Promise<number[]> {
  const ms: number[] = []
  for (let run = 0; run < runs; run++) {
    const port = 41000 + run
    const out = join(work, `socat-${run}.bin`)
    const listener = execa('socat', ['-u', `FILE:${file}`, `TCP-LISTEN:${port},bind=${args['server-host']},reuseaddr`], { timeout: RUN_TIMEOUT_MS })
    await new Promise(resolve => setTimeout(resolve, 300))
    ms.push(await timed('socat', ['-u', `TCP:${args['server-host']}:${port}`, `CREATE:${out}`]))
    await listener
    if ((await stat(out)).size !== size) throw new Error('socat copy has the wrong size')
    await rm(out)
  }
  return ms
}

interface LoopbackSshd {
  /** scp options that reach this sshd with its throwaway key and no host-key prompts. */
  scpOptions: string[]
  stop: () => Promise<void>
}

/** An sshd on a high port with throwaway host and client keys, living in `work`, killed by its pid. */
async function startSshd (work: string, host: string, port = 42022): Promise<LoopbackSshd> {
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
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await execa('ssh', ['-p', String(port), ...keyOptions, `root@${host}`, 'true'], { reject: false })).exitCode === 0) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    scpOptions: ['-q', '-P', String(port), ...keyOptions],
    stop: async () => {
      if (daemon.pid != null) process.kill(daemon.pid, 'SIGTERM')
      await daemon
    }
  }
}

async function benchScp (work: string, file: string, size: number, runs: number): Promise<number[]> {
  const sshd = await startSshd(work, args['server-host'])
  try {
    const ms: number[] = []
    for (let run = 0; run < runs; run++) {
      const out = join(work, `scp-${run}.bin`)
      ms.push(await timed('scp', [...sshd.scpOptions, `root@${args['server-host']}:${file}`, out]))
      if ((await stat(out)).size !== size) throw new Error('scp copy has the wrong size')
      await rm(out)
    }
    return ms
  } finally {
    await sshd.stop()
  }
}

function row (name: string, size: number, ms: number[], extra = ''): string {
  const rates = ms.map(m => size / MiB / (m / 1000))
  return `| ${name} | ${median(rates).toFixed(0)} | ${rates.map(r => r.toFixed(0)).join(', ')} | ${extra} |`
}

async function main (): Promise<void> {
  const sizeMiB = Number(args['size-mib'])
  const runs = Number(args.runs)
  const size = sizeMiB * MiB
  const work = await mkdtemp(join(tmpdir(), 'meshnode-bench-blobs-'))
  try {
    const file = join(work, 'blob.bin')
    await writeRandomFile(file, size)
    const lines = [`${sizeMiB} MiB, ${runs} runs, server ${args['server-host']}, client ${args['client-host']}`, '', '| method | median MB/s | runs MB/s | peak RSS |', '| --- | --- | --- | --- |']
    const baseline = role('idle', ['--dir', join(work, 'idle-store'), '--host', args['client-host']])
    const { maxRssKiB: idleRss } = await nextJson<{ maxRssKiB: number }>(baseline.lines)
    await baseline.done
    const mesh = await benchMeshnode(work, file, size, runs)
    const rss = `server ${(mesh.serverRss / 1024).toFixed(0)} MiB, client max ${(Math.max(...mesh.clientRss) / 1024).toFixed(0)} MiB (idle peer ${(idleRss / 1024).toFixed(0)} MiB)`
    lines.push(row('meshnode blob protocol', size, mesh.ms, rss))
    if (await hasCommand('socat')) lines.push(row('raw TCP (socat)', size, await benchSocat(work, file, size, runs)))
    else lines.push('| raw TCP (socat) | skipped: socat not installed | | |')
    if (await hasCommand('scp') && await hasCommand('sshd')) lines.push(row('scp', size, await benchScp(work, file, size, runs)))
    else lines.push('| scp | skipped: scp or sshd not installed | | |')
    process.stdout.write(lines.join('\n') + '\n(MB/s here is MiB per second)\n')
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

const roles: Record<string, () => Promise<void>> = { serve, fetch: fetchOnce, idle }
await (roles[positionals[0] ?? ''] ?? main)()
