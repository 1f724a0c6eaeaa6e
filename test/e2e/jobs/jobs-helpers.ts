import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../../lan/harness.js'
import type { CliResult, Lan, MeshNode } from '../../lan/harness.js'
import type { JobEvent, JobRecord } from '../../../src/jobs/job.js'

/** What `meshnode job ID --json` prints: the record and its history (tool output left out). */
export type JobView = JobRecord & { events: JobEvent[] }

export function peerIdOf (node: MeshNode): string {
  assert.ok(node.peerId !== undefined, `${node.name} has reported its peer id`)
  return node.peerId
}

export function parseJson<T> (result: CliResult, what: string): T {
  assert.equal(result.code, 0, `${what} exits 0; stderr: ${result.stderr.trim()}`)
  try {
    return JSON.parse(result.stdout) as T
  } catch (err) {
    throw new Error(`${what} printed no JSON: ${result.stdout.slice(0, 500)}`, { cause: err })
  }
}

export async function jobView (lan: Lan, node: MeshNode, id: string): Promise<JobView> {
  return parseJson<JobView>(await lan.runCli(node, ['job', id, '--json']), `meshnode job ${id} --json`)
}

export async function jobList (lan: Lan, node: MeshNode): Promise<JobRecord[]> {
  return parseJson<JobRecord[]>(await lan.runCli(node, ['jobs', '--all', '--json']), 'meshnode jobs --all --json')
}

/** `submit ... --detach`: one job id a line. */
export async function submitDetached (lan: Lan, node: MeshNode, args: string[]): Promise<string[]> {
  const result = await lan.runCli(node, ['submit', ...args, '--detach'], 60_000)
  assert.equal(result.code, 0, `submit --detach exits 0; stderr: ${result.stderr.trim()}`)
  const ids = result.stdout.split('\n').map(l => l.trim()).filter(l => l !== '')
  for (const id of ids) assert.match(id, /^j[0-9a-f]{12}$/, 'submit --detach prints job ids')
  return ids
}

/** Polls `jobs --json` until every one of `ids` has ended (bounded); returns their records. */
export async function waitJobsEnded (lan: Lan, node: MeshNode, ids: string[], timeoutMs: number): Promise<JobRecord[]> {
  return waitFor(async () => {
    const listed = new Map((await jobList(lan, node)).map(j => [j.id, j]))
    const mine = ids.map(id => listed.get(id))
    const open = mine.filter(j => j == null || j.state === 'running')
    if (open.length > 0) throw new Error(`${open.length} of ${ids.length} jobs not ended yet`)
    return mine as JobRecord[]
  }, { timeoutMs, intervalMs: 1000, what: `${ids.length} jobs on ${node.name} to end` })
}

/** Every blob hash in a node's store, finished or partial, read from <dataDir>/blobs. */
export function blobsOnDisk (node: MeshNode): Set<string> {
  const root = join(node.dataDir, 'blobs')
  const found = new Set<string>()
  if (!existsSync(root)) return found
  for (const dir of readdirSync(root)) {
    if (dir === 'partial') for (const name of readdirSync(join(root, dir))) found.add(name)
    else if (/^[0-9a-f]{2}$/.test(dir)) for (const name of readdirSync(join(root, dir))) found.add(dir + name)
  }
  return found
}

/** A daemon's environment with the log line stageRuns() reads: one line as each tool starts. */
export function logRuns (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, DEBUG: [env.DEBUG, 'meshnode:market:stage'].filter(d => d != null && d !== '').join(',') }
}

/**
 * Every tool run on these executors (started with logRuns()), as the node and the folder it ran in. Each award
 * runs in its own folder <job>-<stage>-<award token>, and the tool starts (and the line is logged) only once
 * its inputs are in there: an attempt that could not fetch its input ran nothing. Restarts append to the log.
 */
export function toolRuns (executors: MeshNode[]): Array<{ node: string, folder: string }> {
  return executors.flatMap(node => {
    const text = existsSync(node.process.stderrPath) ? readFileSync(node.process.stderrPath, 'utf8') : ''
    return [...text.matchAll(/meshnode:market:stage (\S+): running /g)].map(match => ({ node: node.name, folder: match[1] }))
  })
}

/** How often each job's tools ran on these executors, all its stages together. */
export function runsPerJob (executors: MeshNode[]): Map<string, number> {
  const runs = new Map<string, number>()
  for (const { folder } of toolRuns(executors)) {
    const id = folder.split('-')[0]
    runs.set(id, (runs.get(id) ?? 0) + 1)
  }
  return runs
}

/** The runs of one stage's tool on these executors, as `<node>:<folder>`. */
export function stageRuns (executors: MeshNode[], jobId: string, index: number): string[] {
  return toolRuns(executors).filter(run => run.folder.startsWith(`${jobId}-${index}-`)).map(run => `${run.node}:${run.folder}`)
}

/** The bytes of a finished blob in a node's store; asserts they hash to `hash`. */
export function readBlob (node: MeshNode, hash: string): Buffer {
  const bytes = readFileSync(join(node.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2)))
  assert.equal(createHash('sha256').update(bytes).digest('hex'), hash, `${node.name}'s copy of ${hash} matches its hash`)
  return bytes
}

/** An ASCII STL with facets, or a binary one whose size matches its facet count. */
export function assertStl (bytes: Buffer, what: string): void {
  const head = bytes.subarray(0, 5).toString('latin1')
  if (head === 'solid' && bytes.includes('facet normal')) {
    assert.match(bytes.subarray(-200).toString('latin1'), /endsolid/, `${what} is a complete ASCII STL`)
    return
  }
  assert.ok(bytes.length >= 84, `${what} is an STL (${bytes.length} bytes)`)
  const facets = bytes.readUInt32LE(80)
  assert.ok(facets > 0 && bytes.length === 84 + 50 * facets, `${what} is a binary STL (${facets} facets, ${bytes.length} bytes)`)
}

/** Real G-code: moves with coordinates, not just a header. */
export function assertGcode (text: string, what: string): void {
  const moves = text.split('\n').filter(line => /^G1 .*[XYZE]-?\d/.test(line))
  assert.ok(moves.length >= 10, `${what} has G1 moves (${moves.length} found)`)
}

/** Processes anywhere on this machine whose command line contains `text` (namespaces share one pid space). */
export function processesMentioning (text: string): Array<{ pid: number, args: string }> {
  const found: Array<{ pid: number, args: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ')
      if (args.includes(text)) found.push({ pid: Number(entry), args })
    } catch {
      // It exited while we looked.
    }
  }
  return found
}

/** Small, distinct designs: a plate with a hole, sized by n. */
export function variantScad (n: number): string {
  return `// variant ${n}\ndifference() {\n  cube([${10 + (n % 7)}, ${8 + (n % 5)}, ${2 + (n % 3)}]);\n  translate([4, 4, -1]) cylinder(d = ${1 + (n % 4) * 0.5}, h = 10, $fn = 16);\n}\n`
}
