import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../../lan/harness.js'
import { processesMentioning } from '../jobs/jobs-helpers.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

export interface ServiceEntry {
  name: string
  command: string
  args: string[]
  outputExtension: string
  timeoutSec: number
}

/** A stage that copies its input: `noop`. */
export const NOOP: ServiceEntry = { name: 'noop', command: 'cp', args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }

/** A shell script as a service `name` (the script gets the input and output paths as $1 and $2). */
export function scriptService (dir: string, name: string, body: string): ServiceEntry {
  const script = join(dir, `${name}.sh`)
  writeFileSync(script, `#!/bin/sh\n${body}\n`)
  chmodSync(script, 0o755)
  return { name, command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 120 }
}

/** `slow`: waits `seconds`, then copies its input. */
export function slowService (dir: string, seconds: number): ServiceEntry {
  return scriptService(dir, 'slow', `sleep ${seconds}\ncp "$1" "$2"`)
}

/** Writes a node config with these services (and market settings) and returns its path. */
export function writeConfig (dir: string, name: string, config: { services: ServiceEntry[], market?: Record<string, number>, tools?: { sandbox: boolean } }): string {
  const path = join(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** `--peer` flags naming every namespace before `index`, so a discovery hiccup does not read as a job failure. */
export function peersBefore (lan: Lan, index: number): string[] {
  return lan.namespaces.filter(ns => ns.index < index).flatMap(ns => ['--peer', `/ip4/${ns.address}/tcp/4001`])
}

/** Waits until `node` lists each of `others` offering `offer`. */
export async function waitListed (lan: Lan, node: MeshNode, others: MeshNode[], offer: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    const peers = await lan.peers(node)
    return others.every(o => peers.some(p => p.peerId === o.peerId && p.offers.includes(offer)))
  }, { timeoutMs, intervalMs: 250, what: `${node.name} to list ${others.map(o => o.name).join(', ')} offering ${offer}` })
}

export function sha256 (bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The tool processes still running in a node's job folders (a kill -9 of the node leaves them orphaned). */
export function toolsOf (node: MeshNode): number[] {
  return processesMentioning(join(node.dataDir, 'work')).map(p => p.pid)
}

/** Kills tools a dead node left behind, by pid. */
export function killOrphans (node: MeshNode): void {
  for (const pid of toolsOf(node)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

/** A job's history as lines, for failure messages. */
export function history (job: { events: Array<{ type: string, stage?: number, message: string }> }): string {
  return job.events.map(e => `${e.type} [${e.stage ?? '-'}] ${e.message}`).join('\n')
}

const STAGE_STATES = ['pending', 'bidding', 'awarded', 'running', 'done', 'failed', 'cancelled', 'interrupted']

/**
 * What a reader of `jobs --json` may rely on: stages run in order (a stage past pending means every stage
 * before it is done), a done stage has its output, the next stage's input is that output, and a done job
 * has every stage done and a result.
 */
export function assertCoherent (job: JobRecord): void {
  const what = `${job.id} (${job.state}: ${job.stages.map(s => s.state).join(',')})`
  assert.ok(['running', 'done', 'failed', 'cancelled'].includes(job.state), `${what}: a known job state`)
  job.stages.forEach((stage, i) => {
    assert.ok(STAGE_STATES.includes(stage.state), `${what}: stage ${i} in a known state`)
    assert.equal(stage.index, i, `${what}: stage ${i} knows its index`)
    if (stage.state === 'done') assert.ok(stage.output?.hash != null, `${what}: done stage ${i} has an output`)
    if (['awarded', 'running'].includes(stage.state)) assert.ok(stage.peerId != null && stage.token > 0, `${what}: stage ${i} is awarded to a peer with a token`)
    if (i > 0 && stage.state !== 'pending' && stage.state !== 'cancelled') {
      assert.equal(job.stages[i - 1].state, 'done', `${what}: stage ${i} started only after stage ${i - 1} was done`)
      assert.equal(stage.input?.hash, job.stages[i - 1].output?.hash, `${what}: stage ${i}'s input is stage ${i - 1}'s output`)
    }
  })
  if (job.state === 'done') {
    assert.ok(job.stages.every(s => s.state === 'done'), `${what}: a done job has every stage done`)
    assert.equal(job.result?.hash, job.stages.at(-1)?.output?.hash, `${what}: a done job's result is its last stage's output`)
  }
}
