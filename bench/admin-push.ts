/**
 * Admin config push benchmark: real `meshnode start` daemons in network namespaces on one bridge
 * (test/lan/harness), every one trusting one admin key.
 *
 *   node dist/bench/admin-push.js [--nodes 20] [--runs 5] [--batch 4] [--smoke]
 *
 * `--smoke` (3 nodes, 1 run) checks that the bench works. Needs root (network namespaces).
 *
 * The daemons start `--batch` at a time, each batch once the one before answers on its control socket: all
 * twenty at once on a loaded 2-core machine start slower than one by one, and one by one, each waited for by
 * `meshnode status` processes spawned every 100 ms (the harness's waitReady), the twentieth did not answer
 * within 2 minutes at load 24. Here readiness is asked over the socket itself, a few times a second.
 *
 * Per run: a config document (a new `market.bidWindowMs`, to all) is signed here and handed to node 0 over its
 * control socket (`admin.publish`, what `meshnode admin config push` does), then every node's own
 * `admin.status` is polled over its socket until each reports the new revision applied. Printed: the time to
 * the first node applying it (node 0, which judges it before it gossips it: the anchor), and to the last.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sealDocument } from '../src/admin/admin-document.js'
import { readAdminKey, writeAdminKey } from '../src/admin/admin-key.js'
import { ControlClient } from '../src/api/control-client.js'
import { createLan, waitFor } from '../test/lan/harness.js'
import type { MeshNode } from '../test/lan/harness.js'

// Each poll asks every node not yet applied over its socket: at 20 nodes, 20 ms kept the daemons busy answering.
const POLL_MS = 100
const APPLY_TIMEOUT_MS = 60_000
/** For one batch of daemons to answer on their sockets: minutes, on a machine shared with other suites. */
const READY_TIMEOUT_MS = 300_000
const READY_POLL_MS = 250

const smoke = process.argv.includes('--smoke')
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    nodes: { type: 'string', default: smoke ? '3' : '20' },
    runs: { type: 'string', default: smoke ? '1' : '5' },
    batch: { type: 'string', default: '4' }
  }
})
const size = positiveInt(flags.nodes, '--nodes')
const runs = positiveInt(flags.runs, '--runs')
const batch = positiveInt(flags.batch, '--batch')

function positiveInt (text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} wants a whole number >= 1, not "${text}"`)
  return n
}

async function call<T> (node: MeshNode, method: string, params: unknown = {}): Promise<T> {
  const client = await ControlClient.connect(node.dataDir)
  try {
    return await client.call<T>(method, params)
  } finally {
    client.close()
  }
}

/** The config revision a node reports for itself; 0 while it does not answer. */
async function revisionOf (node: MeshNode): Promise<number> {
  try {
    return (await call<Array<{ configRevision: number }>>(node, 'admin.status'))[0].configRevision
  } catch {
    return 0
  }
}

/** Until the daemon answers `status` on its control socket; fails at once if it exited. */
async function started (node: MeshNode): Promise<void> {
  await waitFor(async () => {
    const exit = node.process.exitStatus
    if (exit !== undefined) throw new Error(`${node.name} exited (code ${exit.code}, signal ${exit.signal}) before it answered`)
    if (!existsSync(join(node.dataDir, 'control.sock'))) return false
    return call(node, 'status').then(() => true, () => false)
  }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: READY_POLL_MS, what: `${node.name} to answer on its control socket` })
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const lan = await createLan(undefined, { size })
try {
  const keyFile = join(lan.dir, 'admin.key')
  const publicKey = await writeAdminKey(keyFile)
  const signer = await readAdminKey(keyFile)
  const config = join(lan.dir, 'node.json')
  writeFileSync(config, JSON.stringify({ trust: { admin: [publicKey] }, tools: { embedded: { openscad: false, cura: false } } }))
  const nodes: MeshNode[] = []
  const startedAt = performance.now()
  for (let i = 0; i < size; i += batch) {
    const group = lan.namespaces.slice(i, i + batch).map(ns => lan.launch(ns.index, { args: ['--config', config, '--http', 'off'] }))
    await Promise.all(group.map(started))
    nodes.push(...group)
    console.log(`${nodes.length} of ${size} daemons answer, ${((performance.now() - startedAt) / 1000).toFixed(0)} s after the first started; load ${(await import('node:os')).loadavg()[0].toFixed(1)}`)
  }
  await waitFor(async () => {
    const counts = await Promise.all(nodes.map(async node => (await call<unknown[]>(node, 'admin.status')).length))
    return counts.every(n => n === size)
  }, { timeoutMs: 120_000, intervalMs: 500, what: `every node to hear the reports of all ${size}` })

  const first: number[] = []
  const last: number[] = []
  for (let run = 0; run < runs; run++) {
    const revision = Date.now()
    const document = sealDocument({ kind: 'config', target: { all: true, names: [] }, revision, expiresAt: revision + 3600_000, body: { market: { bidWindowMs: 400 + run } } }, signer)
    const applied = new Map<number, number>()
    const started = performance.now()
    await call(nodes[0], 'admin.publish', { document: Buffer.from(document).toString('base64') })
    for (let poll = 0; applied.size < size && poll < APPLY_TIMEOUT_MS / POLL_MS; poll++) {
      await Promise.all(nodes.filter(node => !applied.has(node.index)).map(async node => {
        if (await revisionOf(node) >= revision) applied.set(node.index, performance.now() - started)
      }))
      if (applied.size < size) await sleep(POLL_MS)
    }
    if (applied.size < size) throw new Error(`run ${run + 1}: ${size - applied.size} of ${size} nodes did not apply the config within ${APPLY_TIMEOUT_MS} ms`)
    first.push(applied.get(nodes[0].index) as number)
    last.push(Math.max(...applied.values()))
    console.log(`run ${run + 1}: node 0 applied after ${first.at(-1)?.toFixed(0)} ms, the last of ${size} after ${last.at(-1)?.toFixed(0)} ms`)
  }
  const sorted = [...last].sort((a, b) => a - b)
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]
  console.log(`${size} nodes, ${runs} runs: push -> node 0 applied median ${median(first).toFixed(0)} ms; push -> last applied median ${median(last).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms (${(median(last) / median(first)).toFixed(2)}x the anchor); load ${(await import('node:os')).loadavg()[0].toFixed(1)}`)
} finally {
  await lan.close()
}
