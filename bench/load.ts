/**
 * Load: N no-op jobs submitted at once to a 5-peer LAN of network namespaces (real `meshnode start`
 * processes; node-0 submits and offers nothing, node-1..4 run the stages). Checks that all complete, none is
 * lost and each runs exactly once (each executor logs a line as each tool starts, in the folder
 * <job>-<stage>-<token>), and prints the wall time and every peer's peak RSS (VmHWM).
 * Run as root after `npm run build`:  node dist/bench/load.js [--jobs 1000] [--smoke]
 * `--smoke` (10 jobs unless given) checks that the bench works.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ControlClient } from '../src/api/control-client.js'
import { logRuns, runsPerJob } from '../test/e2e/jobs/jobs-helpers.js'
import { createLan, waitFor } from '../test/lan/harness.js'
import type { MeshNode } from '../test/lan/harness.js'
import type { JobRecord } from '../src/jobs/job.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, jobs: { type: 'string', default: smoke ? '10' : '1000' } } })
const JOBS = Number(values.jobs)

const CONFIG = { services: [{ name: 'noop', command: 'cp', args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }] }

function peakRssMiB (pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
}

/** Straight from the control API: `jobs --all --json` for a thousand jobs passes the harness's 4 MiB output cap. */
async function jobs (node: MeshNode): Promise<JobRecord[]> {
  const client = await ControlClient.connect(node.dataDir)
  try {
    return await client.call<JobRecord[]>('jobs', { all: true })
  } finally {
    client.close()
  }
}

async function main (): Promise<void> {
  const lan = await createLan(undefined, { size: 5 })
  try {
    const config = join(lan.dir, 'noop.json')
    writeFileSync(config, JSON.stringify(CONFIG))
    const input = join(lan.dir, 'part.txt')
    writeFileSync(input, 'no-op stage input\n')
    const others = (i: number): string[] => lan.namespaces.filter(ns => ns.index < i).flatMap(ns => ['--peer', `/ip4/${ns.address}/tcp/4001`])
    const nodes = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'noop', ...others(i)], env: logRuns() }))
    const [requester, ...executors] = nodes
    await waitFor(async () => {
      const peers = await lan.peers(requester)
      return executors.every(e => peers.some(p => p.peerId === e.peerId && p.offers.includes('noop')))
    }, { timeoutMs: 30_000, what: 'the requester to list the four executors' })

    const started = Date.now()
    const submit = await lan.runCli(requester, ['submit', ...Array(JOBS).fill(input), '--pipeline', 'noop', '--detach'], 300_000)
    if (submit.code !== 0) throw new Error(`submit failed: ${submit.stderr}`)
    const ids = new Set(submit.stdout.trim().split('\n'))
    const submittedS = (Date.now() - started) / 1000
    const finished = await waitFor(async () => {
      const mine = (await jobs(requester)).filter(j => ids.has(j.id))
      const open = mine.filter(j => j.state === 'running').length
      if (open > 0) throw new Error(`${open} of ${ids.size} still running`)
      return mine
    }, { timeoutMs: 30 * 60_000, intervalMs: 2000, what: `${JOBS} no-op jobs to end` })
    const seconds = (Date.now() - started) / 1000

    const done = finished.filter(j => j.state === 'done').length
    const runs = runsPerJob(executors)
    const twice = [...ids].filter(id => (runs.get(id) ?? 0) > 1).length
    const never = [...ids].filter(id => (runs.get(id) ?? 0) === 0).length
    const reawarded = finished.filter(j => j.stages[0].attempt > 1).length
    const perPeer = new Map<string, number>()
    for (const j of finished) perPeer.set(j.stages[0].peerName ?? '?', (perPeer.get(j.stages[0].peerName ?? '?') ?? 0) + 1)
    console.log(`${JOBS} no-op jobs submitted at once to 5 peers (submit returned after ${submittedS.toFixed(1)} s)`)
    console.log(`  ${done} done, ${JOBS - finished.length} lost, ${finished.length - done} failed, ${twice} run twice, ${never} never run, ${reawarded} awarded more than once`)
    console.log(`  all ended after ${seconds.toFixed(1)} s (${(JOBS / seconds).toFixed(1)} jobs/s)`)
    console.log(`  stages per executor: ${[...perPeer].map(([name, n]) => `${name} ${n}`).join(', ')}`)
    for (const job of finished.filter(j => (runs.get(j.id) ?? 0) !== 1).slice(0, 3)) {
      const stage = job.stages[0]
      console.log(`  run ${runs.get(job.id) ?? 0} times: ${job.id} ${job.state}, stage ${stage.state} on ${stage.peerName} token ${stage.token} attempt ${stage.attempt}`)
    }
    console.log(`  peak RSS (VmHWM): ${nodes.map(n => `${n.name} ${peakRssMiB(n.process.pid).toFixed(0)} MiB`).join(', ')}`)
    if (done !== JOBS || twice > 0 || never > 0) process.exitCode = 1
  } finally {
    await lan.close()
  }
}

await main()
