/**
 * Discovery benchmark: real `meshnode start` daemons in network namespaces on one bridge (test/lan/harness).
 *
 *   node dist/bench/discovery.js [--sizes 5,20] [--runs 5] [--solo-runs 10] [--idle-ms 5000] [--mdns-interval MS]
 *     [--discovery-timeout-ms 30000] [--smoke]
 *
 * `--smoke` (one 2-node run, one solo run, 500 ms idle unless given) checks that the bench works.
 *
 * Per LAN size and run: launch every node at once, time until each answers `status` on its control socket
 * (ready), then until every node lists every other (full discovery, given up after --discovery-timeout-ms). After the last run of a size has idled
 * for --idle-ms, read each daemon's VmRSS and CPU time from /proc. Solo runs time one node alone from spawn
 * to ready, first on a fresh data dir and then restarted on it. Needs root (network namespaces).
 *
 * The daemons are polled over their control socket in this process (ControlClient), not by spawning the
 * CLI: twenty CLI processes per poll would take the CPU the daemons are being timed on.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ControlClient } from '../src/api/control-client.js'
import { createLan } from '../test/lan/harness.js'
import type { Lan, MeshNode, MeshNodeOptions } from '../test/lan/harness.js'

const POLL_MS = 25
const READY_TIMEOUT_MS = 60_000

interface RunResult {
  /** Per node, spawn to ready, with all nodes starting together. */
  readyMs: number[]
  /** Launch of all to the moment every node listed every other; undefined if not within --discovery-timeout-ms. */
  fullFromLaunchMs: number | undefined
  /** The last node ready to full discovery: discovery proper, without start-up contention. */
  fullFromReadyMs: number | undefined
  /** Of the n*(n-1) "A lists B" pairs, how many held at the end (all of them when discovery completed). */
  pairsListed: number
}

interface IdleResult {
  rssMb: number[]
  cpuPercent: number[]
}

const smoke = process.argv.includes('--smoke')
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    sizes: { type: 'string', default: smoke ? '2' : '5,20' },
    runs: { type: 'string', default: smoke ? '1' : '5' },
    'solo-runs': { type: 'string', default: smoke ? '1' : '10' },
    'idle-ms': { type: 'string', default: smoke ? '500' : '5000' },
    'mdns-interval': { type: 'string' },
    'discovery-timeout-ms': { type: 'string', default: '30000' }
  }
})

const sizes = flags.sizes.split(',').map(s => positiveInt(s, '--sizes'))
const runs = positiveInt(flags.runs, '--runs')
const soloRuns = flags['solo-runs'] === '0' ? 0 : positiveInt(flags['solo-runs'], '--solo-runs')
const idleMs = positiveInt(flags['idle-ms'], '--idle-ms')
const discoveryTimeoutMs = positiveInt(flags['discovery-timeout-ms'], '--discovery-timeout-ms')
const nodeOptions: MeshNodeOptions = flags['mdns-interval'] !== undefined ? { mdnsIntervalMs: positiveInt(flags['mdns-interval'], '--mdns-interval') } : {}

function positiveInt (text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} wants whole numbers >= 1, not "${text}"`)
  return n
}

/** Asks the node's daemon over its control socket; undefined while it does not answer. */
async function ask<T> (node: MeshNode, method: string): Promise<T | undefined> {
  let client: ControlClient | undefined
  try {
    client = await ControlClient.connect(node.dataDir)
    return await client.call<T>(method)
  } catch {
    return undefined
  } finally {
    client?.close()
  }
}

/**
 * Polls every node not yet done until `done(node)` holds for all or `timeoutMs` passes; returns when each got
 * there (ms since `since`; undefined for those that did not).
 */
async function pollAll (nodes: MeshNode[], since: number, timeoutMs: number, done: (node: MeshNode) => Promise<boolean>): Promise<Array<number | undefined>> {
  const at = new Map<MeshNode, number>()
  const deadline = Date.now() + timeoutMs
  const maxRounds = Math.ceil(timeoutMs / POLL_MS)
  for (let round = 0; round < maxRounds && at.size < nodes.length && Date.now() < deadline; round++) {
    await Promise.all(nodes.filter(n => !at.has(n)).map(async (node) => {
      if (node.process.exitStatus !== undefined) throw new Error(`${node.name} exited (code ${node.process.exitStatus.code})`)
      if (await done(node)) at.set(node, Date.now() - since)
    }))
    await sleep(POLL_MS)
  }
  return nodes.map(n => at.get(n))
}

async function waitReady (nodes: MeshNode[], since: number): Promise<number[]> {
  const readyMs = await pollAll(nodes, since, READY_TIMEOUT_MS, async (node) => {
    const status = await ask<{ peerId: string }>(node, 'status')
    if (status === undefined) return false
    node.peerId = status.peerId
    return true
  })
  const late = nodes.filter((_, i) => readyMs[i] === undefined)
  if (late.length > 0) throw new Error(`not ready within ${READY_TIMEOUT_MS} ms: ${late.map(n => n.name).join(', ')}`)
  return readyMs.map(ms => ms ?? Number.NaN)
}

async function listedPairs (nodes: MeshNode[], node: MeshNode): Promise<number> {
  const listed = new Set((await ask<Array<{ peerId: string }>>(node, 'peers'))?.map(p => p.peerId))
  return nodes.filter(other => other !== node && other.peerId !== undefined && listed.has(other.peerId)).length
}

async function waitFullMesh (nodes: MeshNode[], since: number): Promise<Array<number | undefined>> {
  return pollAll(nodes, since, discoveryTimeoutMs, async (node) => await listedPairs(nodes, node) === nodes.length - 1)
}

async function discoveryRun (size: number, measureIdle: boolean): Promise<{ run: RunResult, idle?: IdleResult }> {
  const lan = await createLan(undefined, { size })
  try {
    const launchedAt = Date.now()
    const nodes = lan.namespaces.map(ns => lan.launch(ns.index, nodeOptions))
    const readyMs = await waitReady(nodes, launchedAt)
    const lastReadyAt = launchedAt + Math.max(...readyMs)
    const fullMs = await waitFullMesh(nodes, launchedAt)
    const complete = fullMs.every(ms => ms !== undefined)
    const fullFromLaunchMs = complete ? Math.max(...fullMs.map(ms => ms ?? 0)) : undefined
    const pairsListed = (await Promise.all(nodes.map(async node => listedPairs(nodes, node)))).reduce((a, b) => a + b, 0)
    const run: RunResult = {
      readyMs,
      fullFromLaunchMs,
      fullFromReadyMs: fullFromLaunchMs === undefined ? undefined : launchedAt + fullFromLaunchMs - lastReadyAt,
      pairsListed
    }
    return { run, idle: measureIdle ? await idleFigures(lan, nodes) : undefined }
  } finally {
    await lan.close()
  }
}

/** Lets the mesh idle, then reads VmRSS and the CPU time spent idling from /proc for each daemon. */
async function idleFigures (lan: Lan, nodes: MeshNode[]): Promise<IdleResult> {
  const ticksBefore = nodes.map(n => cpuTicks(n.process.pid))
  await sleep(idleMs)
  const ticksAfter = nodes.map(n => cpuTicks(n.process.pid))
  const ticksPerSecond = 100
  for (const node of nodes) if (node.process.exitStatus !== undefined) throw new Error(`${node.name} exited while idle:\n${lan.logTail(node, 20)}`)
  return {
    rssMb: nodes.map(n => vmRssKb(n.process.pid) / 1024),
    cpuPercent: nodes.map((_, i) => 100 * ((ticksAfter[i] ?? 0) - (ticksBefore[i] ?? 0)) / ticksPerSecond / (idleMs / 1000))
  }
}

function vmRssKb (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))
  const kb = Number(line?.split(/\s+/)[1])
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return kb
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, counted after the parenthesised command name). */
function cpuTicks (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** One node alone: spawn to ready on a fresh data dir, then restarted on the same data dir. */
async function soloRun (): Promise<{ freshMs: number, restartMs: number }> {
  const lan = await createLan(undefined, { size: 1 })
  try {
    let since = Date.now()
    const node = lan.launch(0, nodeOptions)
    const [freshMs] = await waitReady([node], since)
    await lan.stop(node)
    since = Date.now()
    lan.relaunch(node)
    const [restartMs] = await waitReady([node], since)
    return { freshMs: freshMs ?? Number.NaN, restartMs: restartMs ?? Number.NaN }
  } finally {
    await lan.close()
  }
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p / 100 * sorted.length) - 1)] ?? Number.NaN
}

function summary (values: number[], unit: string, digits = 0): string {
  const f = (n: number): string => n.toFixed(digits)
  return `median ${f(percentile(values, 50))} ${unit}, p95 ${f(percentile(values, 95))} ${unit}, max ${f(Math.max(...values))} ${unit} (n=${values.length})`
}

const out = (line: string): void => { process.stdout.write(line + '\n') }

out(`meshnode discovery benchmark: sizes ${sizes.join(', ')}, ${runs} runs each, ${soloRuns} solo runs, idle ${idleMs} ms` +
  (nodeOptions.mdnsIntervalMs !== undefined ? `, --mdns-interval ${nodeOptions.mdnsIntervalMs}` : ', default mDNS interval') +
  `, discovery timeout ${discoveryTimeoutMs} ms`)

const fresh: number[] = []
const restarted: number[] = []
for (let i = 0; i < soloRuns; i++) {
  const solo = await soloRun()
  fresh.push(solo.freshMs)
  restarted.push(solo.restartMs)
}
if (soloRuns > 0) {
  out(`solo start to ready, fresh data dir: ${summary(fresh, 'ms')}`)
  out(`solo start to ready, restart:        ${summary(restarted, 'ms')}`)
}

for (const size of sizes) {
  const results: RunResult[] = []
  let idle: IdleResult | undefined
  for (let r = 0; r < runs; r++) {
    const { run, idle: measured } = await discoveryRun(size, r === runs - 1)
    results.push(run)
    idle = measured ?? idle
    const full = run.fullFromLaunchMs === undefined
      ? `NO full discovery within ${discoveryTimeoutMs} ms`
      : `full discovery ${run.fullFromLaunchMs} ms after launch, ${run.fullFromReadyMs} ms after the last was ready`
    out(`  ${size} nodes, run ${r + 1}: last ready ${Math.max(...run.readyMs)} ms, ${full}; ${run.pairsListed}/${size * (size - 1)} pairs listed`)
  }
  const completed = results.filter(r => r.fullFromLaunchMs !== undefined)
  out(`${size} nodes: start to ready (all at once): ${summary(results.flatMap(r => r.readyMs), 'ms')}`)
  out(`${size} nodes: full discovery reached in ${completed.length} of ${results.length} runs`)
  if (completed.length > 0) {
    out(`${size} nodes: full discovery after launch:   ${summary(completed.map(r => r.fullFromLaunchMs ?? 0), 'ms')}`)
    out(`${size} nodes: full discovery after ready:    ${summary(completed.map(r => r.fullFromReadyMs ?? 0), 'ms')}`)
  }
  if (idle !== undefined) {
    out(`${size} nodes: idle RSS per node:              ${summary(idle.rssMb, 'MB', 1)}`)
    out(`${size} nodes: idle CPU per node:              ${summary(idle.cpuPercent, '%', 1)}`)
  }
}
