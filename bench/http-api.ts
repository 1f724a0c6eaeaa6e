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
 *   node dist/bench/http-api.js [--requests 300] [--cli-runs 15] [--size-mib 256] [--runs 3]
 */
import { execFile, spawn } from 'node:child_process'
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
const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '300' }, 'cli-runs': { type: 'string', default: '15' }, 'size-mib': { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } } })
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

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-bench-http-'))
  const dataDir = join(dir, 'peer')
  const child = spawn(process.execPath, [...DAEMON_FLAGS, meshnodeBin, 'start', '--no-mdns', '--offer', 'none', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    let url = ''
    for await (const line of createInterface({ input: child.stdout })) {
      url = /HTTP API\s+(\S+)/.exec(line)?.[1] ?? url
      if (line === 'ready') break
    }
    child.stdout.resume()
    const api = `${url}/api/v1`
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
    const growth: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // A new first block each run: the blob store would otherwise already hold the content.
      const h = await open(big, 'r+')
      await h.write(randomBytes(16), 0, 16, 0)
      await h.close()
      const copy = join(dir, 'copy.stl')
      copies.push((await timed(1, async () => { await run('cp', [big, copy]); await run('sync', [copy]) }))[0])
      await rm(copy)
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
    console.log(`| upload / cp | ${(mbps(median(uploads)) / mbps(median(copies))).toFixed(2)} | |`)
    console.log(`| peer RSS growth during the upload | ${median(growth).toFixed(1)} MB | ${growth.map(g => g.toFixed(1)).join(', ')} |`)
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
