/**
 * Rolling update benchmark: real `meshnode start` daemons on loopback, each under a supervisor that restarts it as
 * systemd would (test/admin/update-fixture), every one trusting one admin key.
 *
 *   node dist/bench/admin-update.js [--nodes 10] [--parallel 2] [--smoke]
 *
 * `--smoke` (3 nodes) checks that the bench works. One rollout: this build packed with a new version (what "npm
 * pack" makes) and sent by `meshnode admin update` from node 0, which holds the package; every node's own
 * `admin.status` is polled over its control socket. Printed: the total time from the command to the last node
 * healthy on the new version; the longest any node waited for its turn (package unpacked to restarting); and the
 * anchor, one node's own update (restarting to healthy), measured in the same run: the rollout cannot beat
 * ceil(nodes / parallel) of those in a row.
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { cli } from '../test/admin/admin-fixture.js'
import { buildPackage, startFleet } from '../test/admin/update-fixture.js'
import { waitFor } from '../test/lan/wait.js'

const POLL_MS = 100
const smoke = process.argv.includes('--smoke')
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    nodes: { type: 'string', default: smoke ? '3' : '10' },
    parallel: { type: 'string', default: '2' }
  }
})
const size = positiveInt(flags.nodes, '--nodes')
const parallel = positiveInt(flags.parallel, '--parallel')

function positiveInt (text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} wants a whole number >= 1, not "${text}"`)
  return n
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const stops: Array<() => Promise<void>> = []
try {
  const names = Array.from({ length: size }, (_, i) => `n${i}`)
  const fleet = await startFleet(stop => { stops.push(stop) }, names)
  console.log(`${size} daemons starting; load ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
  for (const node of fleet.nodes) {
    await waitFor(async () => (await node.status())?.length === size, { timeoutMs: 5 * 60_000, what: `${node.name} to hear from all ${size} nodes` })
  }
  const pkg = await buildPackage(fleet.dir, '9.9.9')
  // When each node was first seen in each state.
  const seen = fleet.nodes.map(() => new Map<string, number>())
  const started = performance.now()
  const sent = await cli(['admin', 'update', '--to', 'fleet', '--parallel', String(parallel), '--deadline', '300', '--key', fleet.admin.keyFile, '--data-dir', fleet.nodes[0].dataDir, pkg])
  if (sent.code !== 0) throw new Error(`admin update failed: ${sent.stderr}${sent.stdout}`)
  const deadline = Date.now() + 15 * 60_000
  let loadAtEnd = ''
  while (Date.now() < deadline) {
    const views = await Promise.all(fleet.nodes.map(async node => node.self()))
    views.forEach((view, i) => {
      const state = view == null ? 'away' : view.updateState
      if (!seen[i].has(state)) seen[i].set(state, performance.now())
    })
    const failed = views.find(v => v != null && ['rolled-back', 'halted', 'failed'].includes(v.updateState))
    if (failed != null) throw new Error(`${failed.name} ${failed.updateState}: ${failed.updateReason}`)
    if (views.every(v => v?.version === '9.9.9' && v.updateState === 'updated')) {
      loadAtEnd = loadavg().map(l => l.toFixed(1)).join(' ')
      break
    }
    await sleep(POLL_MS)
  }
  const total = performance.now() - started
  if (loadAtEnd === '') throw new Error('the rollout did not end within 15 minutes')
  // Some node may be seen waiting only once it was already its turn (a poll missed it): then it waited ~0.
  const waits = seen.map(s => (s.get('restarting') ?? s.get('away') ?? s.get('trying') ?? 0) - (s.get('waiting') ?? s.get('restarting') ?? s.get('away') ?? 0))
  const own = seen.map(s => (s.get('updated') ?? 0) - (s.get('restarting') ?? s.get('away') ?? s.get('trying') ?? 0))
  const anchor = median(own)
  const floor = Math.ceil(size / parallel) * anchor
  console.log(`rolling update of ${size} peers, ${parallel} at a time: total ${(total / 1000).toFixed(1)} s; longest wait for a turn ${(Math.max(...waits) / 1000).toFixed(1)} s`)
  console.log(`anchor, one node's own update (restart to healthy): median ${(anchor / 1000).toFixed(1)} s, longest ${(Math.max(...own) / 1000).toFixed(1)} s`)
  console.log(`total / (${Math.ceil(size / parallel)} turns x anchor) = ${(total / floor).toFixed(2)}x; load at the end ${loadAtEnd}`)
} finally {
  for (const stop of stops) await stop()
}
