/**
 * The market under measurement, on a 5-peer LAN of network namespaces (real `meshnode start` processes):
 *  1. announce -> executor start for a no-op stage, one job at a time (p50, p99);
 *  2. N no-op jobs submitted at once: all complete, none lost, none run twice; wall time and the peers' peak RSS.
 * Run as root after `npm run build`:  node dist/bench/market.js [--latency-jobs 60] [--load-jobs 1000] [--smoke]
 * `--smoke` (3 and 10 jobs unless given) checks that the bench works.
 */
import { writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { logRuns, runsPerJob } from '../test/e2e/jobs/jobs-helpers.js'
import { createLan, waitFor } from '../test/lan/harness.js'
import type { Lan, MeshNode } from '../test/lan/harness.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, 'latency-jobs': { type: 'string', default: smoke ? '3' : '60' }, 'load-jobs': { type: 'string', default: smoke ? '10' : '1000' } } })
const latencyJobs = Number(values['latency-jobs'])
const loadJobs = Number(values['load-jobs'])

const NOOP_CONFIG = {
  services: [{ name: 'noop', command: 'cp', args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }],
  market: { maxConcurrent: 4 }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

function peakRssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

async function json (lan: Lan, node: MeshNode, args: string[], timeoutMs = 120_000): Promise<any> {
  const result = await lan.runCli(node, [...args, '--json'], timeoutMs)
  if (result.code !== 0) throw new Error(`meshnode ${args.join(' ')} failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

async function main (): Promise<void> {
  const lan = await createLan(undefined, { size: 5 })
  try {
    const config = join(lan.dir, 'noop.json')
    await writeFile(config, JSON.stringify(NOOP_CONFIG))
    const input = join(lan.dir, 'part.txt')
    await writeFile(input, 'no-op stage input\n')
    // node-0 submits and offers nothing, so every stage crosses the network.
    const nodes = await lan.startAll(i => ({ args: i === 0 ? ['--config', config, '--offer', 'none'] : ['--config', config], env: logRuns() }))
    const requester = nodes[0]
    await waitFor(async () => {
      const peers = await lan.peers(requester)
      if (peers.filter(p => p.offers.includes('noop')).length < 4) throw new Error(`${peers.length} peers`)
      return true
    }, { timeoutMs: 30_000, what: 'the requester to see four no-op executors' })

    const latencies: number[] = []
    for (let i = 0; i < latencyJobs; i++) {
      const [job] = await json(lan, requester, ['submit', input, '--pipeline', 'noop'])
      const detail = await json(lan, requester, ['job', job.id])
      const announced = detail.events.find((e: any) => e.type === 'bidding')?.at
      const confirmed = detail.events.find((e: any) => e.type === 'confirmed')?.at
      latencies.push(confirmed - announced)
    }
    latencies.sort((a, b) => a - b)
    console.log(`announce -> executor start, ${latencyJobs} no-op jobs one at a time: p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`)

    const started = Date.now()
    const submitted = await json(lan, requester, ['submit', ...Array(loadJobs).fill(input), '--pipeline', 'noop', '--detach'])
    const ids = new Set<string>(submitted.map((j: any) => j.id))
    const finished = await waitFor(async () => {
      const jobs = (await json(lan, requester, ['jobs', '--all'])).filter((j: any) => ids.has(j.id))
      const open = jobs.filter((j: any) => j.state === 'running').length
      if (open > 0) throw new Error(`${open} of ${ids.size} still running`)
      return jobs
    }, { timeoutMs: 20 * 60_000, intervalMs: 2000, what: `${loadJobs} no-op jobs to finish` })
    const seconds = (Date.now() - started) / 1000
    const done = finished.filter((j: any) => j.state === 'done').length
    const runs = runsPerJob(nodes)
    const twice = [...ids].filter(id => (runs.get(id) ?? 0) > 1).length
    const never = [...ids].filter(id => (runs.get(id) ?? 0) === 0).length
    const perPeer = nodes.map(n => `${n.name} ${peakRssMb(n.process.pid).toFixed(0)} MB`).join(', ')
    console.log(`${loadJobs} no-op jobs at once: ${done} done, ${ids.size - finished.length} lost, ${twice} run twice, ${never} never run, in ${seconds.toFixed(1)} s (${(loadJobs / seconds).toFixed(1)} jobs/s); peak RSS ${perPeer}`)
  } finally {
    await lan.close()
  }
}

await main()
