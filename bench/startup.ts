/**
 * One peer's start-up and idle memory (issue 28: start -> ready <= 250 ms, idle RSS <= 80 MB), against Node's
 * own floor, taking turns in the same run.
 *
 *   node dist/bench/startup.js [--rounds 5] [--idle-ms 10000] [--build LABEL=BIN]... [--compile-cache-off-too] [--smoke]
 *
 * Each round runs, in turn: `node -e 0` (spawn to exit), a bare Node process (its RSS after --idle-ms), then
 * each build's `meshnode start`, on a fresh data dir and then restarted on it. The builds are this one, each
 * `--build` (another build's dist/src/bin/meshnode.js: the code before a change, built in a copy of the repo,
 * or a bundle, see BENCHMARKS.md), and with `--compile-cache-off-too` this one again without V8's compile
 * cache (NODE_DISABLE_COMPILE_CACHE). Each start is timed from spawn to the daemon's `ready` line (the
 * banner's last line) and to the first `status` answered over its control socket (what `meshnode status` and
 * scripts ask); the RSS is read from /proc after the peer idled --idle-ms. Peers run with mDNS off, on
 * 127.0.0.1 and a free HTTP port, with every tool this machine has. Before measuring, each build starts once
 * unmeasured, so that V8's compile cache (which `meshnode start` keeps in the temp dir) holds its code, as it
 * does on any start after the first.
 * `--smoke` (one round, 1 s idle) checks that the bench works.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ControlClient } from '../src/api/control-client.js'
import { meshnodeBin } from '../src/paths.js'

const smoke = process.argv.includes('--smoke')
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    rounds: { type: 'string', default: smoke ? '1' : '5' },
    'idle-ms': { type: 'string', default: smoke ? '1000' : '10000' },
    build: { type: 'string', multiple: true, default: [] },
    'compile-cache-off-too': { type: 'boolean' }
  }
})
const rounds = positiveInt(flags.rounds, '--rounds')
const idleMs = positiveInt(flags['idle-ms'], '--idle-ms')
const READY_TIMEOUT_MS = 60_000
const POLL_MS = 5

function positiveInt (text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} wants a whole number >= 1, not "${text}"`)
  return n
}

interface Build { label: string, bin: string, env?: NodeJS.ProcessEnv }
const builds: Build[] = [{ label: 'this build', bin: meshnodeBin }]
if (flags['compile-cache-off-too'] === true) builds.push({ label: 'this build, no compile cache', bin: meshnodeBin, env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } })
for (const spec of flags.build) {
  const [label, bin] = spec.split('=', 2)
  if (label === '' || bin == null) throw new RangeError(`--build wants LABEL=PATH, not "${spec}"`)
  builds.push({ label, bin: resolve(bin) })
}

/** What one start gave: spawn to the ready line, spawn to the first status answer, RSS after idling. */
interface StartFigures { readyLineMs: number, statusMs: number, idleRssMb: number }

const children = new Set<ChildProcess>()
process.once('SIGTERM', () => { for (const child of children) child.kill('SIGKILL'); process.exit(1) })

async function nodeE0 (): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await new Promise((resolve, reject) => { child.once('exit', resolve).once('error', reject) })
  return performance.now() - started
}

/** A Node process that does nothing but stay up: its RSS after --idle-ms is the floor under any peer. */
async function bareNodeRss (): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 60_000)'], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child)
  try {
    await waitForLine(child, 'up', READY_TIMEOUT_MS)
    await sleep(idleMs)
    return await vmRssMb(child)
  } finally {
    await stop(child)
  }
}

async function startPeer ({ bin, env }: Build, dataDir: string): Promise<StartFigures> {
  const started = performance.now()
  const child = spawn(process.execPath, [bin, 'start', '--data-dir', dataDir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env })
  children.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-4000) })
  try {
    const readyLine = waitForLine(child, 'ready', READY_TIMEOUT_MS).then(() => performance.now() - started)
    const statusMs = await waitForStatus(child, dataDir, started)
    const readyLineMs = await readyLine
    await sleep(idleMs)
    return { readyLineMs, statusMs, idleRssMb: await vmRssMb(child) }
  } catch (err) {
    throw new Error(`${bin} start: ${(err as Error).message}; its stderr:\n${stderr}`)
  } finally {
    await stop(child)
  }
}

/** Polls the control socket as a script would poll `meshnode status`, until the daemon answers. */
async function waitForStatus (child: ChildProcess, dataDir: string, started: number): Promise<number> {
  const deadline = started + READY_TIMEOUT_MS
  while (performance.now() < deadline) {
    if (child.exitCode != null || child.signalCode != null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before answering status`)
    let client: ControlClient | undefined
    try {
      client = await ControlClient.connect(dataDir)
      await client.call('status')
      return performance.now() - started
    } catch {
      await sleep(POLL_MS)
    } finally {
      client?.close()
    }
  }
  throw new Error(`no status answer within ${READY_TIMEOUT_MS} ms`)
}

async function waitForLine (child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  const stdout = child.stdout
  if (stdout == null) throw new Error('no stdout to read')
  let seen = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no "${line}" line within ${timeoutMs} ms`)) }, timeoutMs)
    const onData = (text: string): void => {
      seen = (seen + text).slice(-8192)
      if (seen.split('\n').slice(0, -1).includes(line)) done(resolve)
    }
    const onExit = (code: number | null, signal: string | null): void => { done(() => { reject(new Error(`exited (${code ?? signal}) before printing "${line}"`)) }) }
    const done = (settle: () => void): void => {
      clearTimeout(timer)
      stdout.off('data', onData)
      child.off('exit', onExit)
      settle()
    }
    stdout.setEncoding('utf8').on('data', onData)
    child.once('exit', onExit)
  })
  // Keeps the pipe drained, so that a chatty child never blocks on a full pipe.
  stdout.resume()
}

async function vmRssMb (child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1])
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${child.pid}/status`)
  return kb / 1024
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode == null && child.signalCode == null) {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
    await exited
    clearTimeout(timer)
  }
  children.delete(child)
}

/** A fresh data dir, then a restart on it; the dir is removed afterwards. */
async function freshAndRestart (build: Build): Promise<{ fresh: StartFigures, restart: StartFigures }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-startup-'))
  try {
    const fresh = await startPeer(build, dataDir)
    const restart = await startPeer(build, dataDir)
    return { fresh, restart }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const range = (values: number[], digits = 0): string => `median ${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`
const loadAverage = async (): Promise<string> => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
const out = (line: string): void => { process.stdout.write(line + '\n') }

out(`meshnode start-up benchmark: ${rounds} rounds, idle ${idleMs} ms, builds: ${builds.map(b => `${b.label} (${b.bin})`).join(', ')}; load average ${await loadAverage()}`)
for (const build of builds) await freshAndRestart(build)

const anchors = { nodeE0: [] as number[], bareRss: [] as number[] }
const figures = new Map(builds.map(b => [b, { fresh: [] as StartFigures[], restart: [] as StartFigures[] }]))
for (let round = 0; round < rounds; round++) {
  anchors.nodeE0.push(await nodeE0())
  anchors.bareRss.push(await bareNodeRss())
  // Builds take turns, each round in the other order, so that neither always runs right after the anchors.
  for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
    const { fresh, restart } = await freshAndRestart(build)
    figures.get(build)?.fresh.push(fresh)
    figures.get(build)?.restart.push(restart)
    out(`  round ${round + 1}, ${build.label}: fresh ready ${fresh.readyLineMs.toFixed(0)} ms / status ${fresh.statusMs.toFixed(0)} ms / ${fresh.idleRssMb.toFixed(1)} MB; restart ${restart.readyLineMs.toFixed(0)} / ${restart.statusMs.toFixed(0)} ms / ${restart.idleRssMb.toFixed(1)} MB`)
  }
}

const e0 = median(anchors.nodeE0)
const bare = median(anchors.bareRss)
out(`anchor: node -e 0 ${range(anchors.nodeE0)} ms; bare Node idle RSS ${range(anchors.bareRss, 1)} MB`)
for (const build of builds) {
  const f = figures.get(build)
  if (f == null) continue
  for (const [kind, list] of [['fresh data dir', f.fresh], ['restart', f.restart]] as const) {
    const ready = list.map(x => x.readyLineMs)
    const status = list.map(x => x.statusMs)
    const rss = list.map(x => x.idleRssMb)
    out(`${build.label}, ${kind}: ready line ${range(ready)} ms (${(median(ready) / e0).toFixed(1)}x node -e 0); status answered ${range(status)} ms; idle RSS ${range(rss, 1)} MB (${(median(rss) / bare).toFixed(2)}x bare Node)`)
  }
}
out(`load average at the end ${await loadAverage()}`)
