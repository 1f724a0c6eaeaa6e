/**
 * The HTTP API against the unix socket, on one `meshnode start` peer (a separate process, with the V8 flags
 * a peer runs with):
 *
 *   1. GET /api/v1/status and GET /api/v1/jobs/ID, p50 / p99 over keep-alive fetch, against the same
 *      methods over the unix socket (ControlClient) and against the `meshnode status` command, in one run.
 *   2. A multipart upload (curl -F) of a --size-mib file into the peer's blob store, MB/s against `cp` plus
 *      an fsync of the same file on the same disk (the upload syncs too), taking turns; and the peer's RSS
 *      growth during the upload, sampled from /proc every 20 ms.
 *
 *   3. With --baseline BIN (the meshnode.js of a build before this change), the same socket and CLI calls on a
 *      peer of that build, taking turns with this one: the CLI is no slower for the method table.
 *
 *   node dist/bench/http-api.js [--requests 300] [--cli-runs 15] [--size-mib 256] [--runs 3] [--baseline BIN] [--smoke]
 * `--smoke` (20 requests, 2 CLI runs, one 8 MiB upload unless given) checks that the bench works.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs, promisify } from 'node:util'
import { ControlClient } from '../src/api/control-client.js'
import { DAEMON_FLAGS } from '../src/node/daemon-flags.js'
import { meshnodeBin } from '../src/paths.js'

const run = promisify(execFile)
const smoke = process.argv.includes('--smoke')
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    requests: { type: 'string', default: smoke ? '20' : '300' },
    'cli-runs': { type: 'string', default: smoke ? '2' : '15' },
    'size-mib': { type: 'string', default: smoke ? '8' : '256' },
    runs: { type: 'string', default: smoke ? '1' : '3' },
    baseline: { type: 'string' }
  }
})
const REQUESTS = Number(args.requests)
const CLI_RUNS = Number(args['cli-runs'])
const SIZE = Number(args['size-mib']) * 1024 * 1024
const RUNS = Number(args.runs)

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}
const median = (values: number[]): number => percentile(values, 0.5)
const ms = (n: number): string => n < 10 ? n.toFixed(2) : n.toFixed(1)

async function timed (times: number, once: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    await once()
    out.push(performance.now() - started)
  }
  return out
}

async function rssKiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
}

interface Peer {
  child: ChildProcess
  dataDir: string
  /** The HTTP API's base URL; '' for a build without one. */
  url: string
}

/** `meshnode start` of `bin` as its own process, offering nothing, up once it printed "ready". */
async function startPeer (bin: string, dataDir: string, extra: string[]): Promise<Peer> {
  const child = spawn(process.execPath, [...DAEMON_FLAGS, bin, 'start', '--no-mdns', '--offer', 'none', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  let url = ''
  for await (const line of createInterface({ input: child.stdout })) {
    url = /HTTP API\s+(\S+)/.exec(line)?.[1] ?? url
    if (line === 'ready') break
  }
  child.stdout.resume()
  return { child, dataDir, url }
}

async function stopPeer (peer: Peer): Promise<void> {
  peer.child.kill('SIGTERM')
  await once(peer.child, 'exit')
}

/** The CLI and socket calls on a peer of another build and on this one, taking turns, p50 / p99. */
async function againstBaseline (baselineBin: string, dir: string, current: Peer): Promise<void> {
  const baseline = await startPeer(baselineBin, join(dir, 'baseline'), [])
  try {
    const builds: Array<[string, Peer, string]> = [['before', baseline, baselineBin], ['this build', current, meshnodeBin]]
    const socket = new Map<string, number[]>()
    const cli = new Map<string, number[]>()
    for (let round = 0; round < 5; round++) {
      for (const [name, peer, bin] of builds) {
        const client = await ControlClient.connect(peer.dataDir)
        socket.set(name, [...socket.get(name) ?? [], ...await timed(REQUESTS / 5, async () => client.call('status'))])
        client.close()
        cli.set(name, [...cli.get(name) ?? [], ...await timed(Math.ceil(CLI_RUNS / 5), async () => run(process.execPath, [bin, 'status', '--data-dir', peer.dataDir]))])
      }
    }
    console.log('\n| build | status over the socket p50 / p99 | `meshnode status` p50 / p99 |\n|---|---|---|')
    for (const [name] of builds) {
      const s = socket.get(name) ?? []
      const c = cli.get(name) ?? []
      console.log(`| ${name} | ${ms(percentile(s, 0.5))} / ${ms(percentile(s, 0.99))} ms | ${ms(percentile(c, 0.5))} / ${ms(percentile(c, 0.99))} ms |`)
    }
  } finally {
    await stopPeer(baseline)
  }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-bench-http-'))
  const peer = await startPeer(meshnodeBin, join(dir, 'peer'), ['--http', '127.0.0.1:0'])
  const { child, dataDir } = peer
  try {
    const api = `${peer.url}/api/v1`
    const client = await ControlClient.connect(dataDir)
    const design = join(dir, 'part.scad')
    await writeFile(design, 'cube(10);\n')
    const [job] = await client.call('submit', { files: [design], pipeline: ['scad'] })

    const get = async (path: string): Promise<void> => { await (await fetch(api + path)).arrayBuffer() }
    await timed(50, async () => get('/status'))
    const rows: Array<[string, number[]]> = [
      ['GET /api/v1/status (fetch, keep-alive)', await timed(REQUESTS, async () => get('/status'))],
      [`GET /api/v1/jobs/ID (fetch, keep-alive)`, await timed(REQUESTS, async () => get(`/jobs/${job.id as string}`))],
      ['status over the unix socket (ControlClient)', await timed(REQUESTS, async () => client.call('status'))],
      ['job over the unix socket (ControlClient)', await timed(REQUESTS, async () => client.call('job', { id: job.id }))],
      ['`meshnode status` (a CLI process)', await timed(CLI_RUNS, async () => run(process.execPath, [meshnodeBin, 'status', '--data-dir', dataDir]))]
    ]
    client.close()
    console.log('| call | p50 | p99 | n |\n|---|---|---|---|')
    for (const [what, times] of rows) console.log(`| ${what} | ${ms(percentile(times, 0.5))} ms | ${ms(percentile(times, 0.99))} ms | ${times.length} |`)

    const big = join(dir, 'big.stl')
    await writeFile(big, randomBytes(1024 * 1024))
    const handle = await open(big, 'r+')
    for (let at = 1024 * 1024; at < SIZE; at += 1024 * 1024) await handle.write(randomBytes(1024 * 1024), 0, 1024 * 1024, at)
    await handle.close()
    const uploads: number[] = []
    const copies: number[] = []
    const hashes: number[] = []
    const growth: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // A new first block each run: the blob store would otherwise already hold the content.
      const h = await open(big, 'r+')
      await h.write(randomBytes(16), 0, 16, 0)
      await h.close()
      const copy = join(dir, 'copy.stl')
      copies.push((await timed(1, async () => { await run('cp', [big, copy]); await run('sync', [copy]) }))[0])
      await rm(copy)
      hashes.push((await timed(1, async () => run('sha256sum', [big])))[0])
      const before = await rssKiB(child.pid as number)
      let peak = before
      const sampler = setInterval(() => { rssKiB(child.pid as number).then(kib => { peak = Math.max(peak, kib) }, () => {}) }, 20)
      const [took] = await timed(1, async () => {
        const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-F', `file=@${big}`, '-F', 'pipeline=slice', `${api}/jobs`])
        if (stdout !== '201') throw new Error(`upload answered ${stdout}`)
      })
      clearInterval(sampler)
      uploads.push(took)
      growth.push((peak - before) / 1024)
    }
    const mbps = (t: number): number => SIZE / 1e6 / (t / 1000)
    console.log(`\n| ${SIZE / 1024 / 1024} MiB, ${RUNS} runs taking turns | median | runs |\n|---|---|---|`)
    console.log(`| multipart upload (curl -F) into the blob store | ${mbps(median(uploads)).toFixed(0)} MB/s | ${uploads.map(t => mbps(t).toFixed(0)).join(', ')} |`)
    console.log(`| cp + sync of the same file, same disk | ${mbps(median(copies)).toFixed(0)} MB/s | ${copies.map(t => mbps(t).toFixed(0)).join(', ')} |`)
    console.log(`| sha256sum of the same file (the hash the store computes) | ${mbps(median(hashes)).toFixed(0)} MB/s | ${hashes.map(t => mbps(t).toFixed(0)).join(', ')} |`)
    console.log(`| upload / cp | ${(mbps(median(uploads)) / mbps(median(copies))).toFixed(2)} | |`)
    console.log(`| peer RSS growth during the upload | ${median(growth).toFixed(1)} MB | ${growth.map(g => g.toFixed(1)).join(', ')} |`)
    if (args.baseline != null) await againstBaseline(args.baseline, dir, peer)
  } finally {
    await stopPeer(peer)
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
