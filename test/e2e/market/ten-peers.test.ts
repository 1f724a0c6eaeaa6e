import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobList, peerIdOf, submitDetached, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { killOrphans, peersBefore, scriptService, toolsOf, waitListed, writeConfig } from '../faults/faults-helpers.js'
import type { MeshNode } from '../../lan/harness.js'

const PEERS = 10
const JOBS = 100
/** The job and stage of a run, from the folder it ran in: <dataDir>/work/<job>-<stage>-<award token>/. */
const RUN_FOLDER = /\/work\/(j[0-9a-f]{12})-(\d+)-\d+\//

test('10 peers, a batch of 100: every stage runs once, every refusal has a reason, a killed executor\'s stages finish elsewhere', async (t) => {
  const lan = await createLan(t, { size: PEERS })
  const meshKey = join(lan.dir, 'mesh.key')
  const keygen = await lan.cli(0, ['keygen', meshKey])
  assert.equal(keygen.code, 0, `meshnode keygen exits 0; stderr: ${keygen.stderr}`)
  // Each run writes the path of its input (inside the run's own folder) as a line, before it does anything else.
  const runs = join(lan.dir, 'count.runs')
  const count = scriptService(lan.dir, 'count', `echo "$1" >> "${runs}"\nsleep 1\ncp "$1" "$2"`)
  // One stage at a time per executor, so a batch of 100 keeps them all refusing some; a short lease so the
  // killed executor's stages lapse quickly. Unsandboxed: the runs file is outside the folder a sandboxed tool sees.
  const config = writeConfig(lan.dir, 'count', { services: [count], tools: { sandbox: false }, market: { maxConcurrent: 1, leaseMs: 4000 } })
  const nodes = Array.from({ length: PEERS }, (_, i) => lan.launch(i, {
    mdns: false,
    args: ['--config', config, '--mesh-key', meshKey, '--offer', i === 0 ? 'none' : 'count', ...peersBefore(lan, i)]
  }))
  // Not the harness's 30 s: ten peers starting together on a loaded 2-core machine (load 20 to 30) took longer.
  await Promise.all(nodes.map(async node => lan.waitReady(node, 180_000)))
  const [requester, ...executors] = nodes
  await waitListed(lan, requester, executors, 'count', 60_000)

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a part to count\n')
  const ids = await submitDetached(lan, requester, Array(JOBS).fill(input).concat('--pipeline', 'count'))
  assert.equal(ids.length, JOBS, 'submit made one job per file')

  // The victim: the first executor caught with a tool running, and the jobs those tools belong to.
  const { victim, interrupted } = await waitFor(async () => {
    for (const node of executors) {
      const jobs = toolsOf(node).flatMap(pid => jobOfTool(pid))
      if (jobs.length > 0) return { victim: node, interrupted: jobs }
    }
    return undefined
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'an executor to run a stage' })
  await lan.kill9(victim)
  killOrphans(victim)
  t.after(() => { killOrphans(victim) })

  const ended = await waitJobsEnded(lan, requester, ids, 60_000)
  const notDone = ended.filter(j => j.state !== 'done')
  assert.deepEqual(notDone.map(j => `${j.id} ${j.state}: ${j.error ?? ''}`), [], 'every job of the batch is done')

  const runsByJob = toolRunsByJob(runs, victim)
  for (const job of ended) {
    const { onVictim, elsewhere } = runsByJob.get(job.id) ?? { onVictim: 0, elsewhere: 0 }
    const stage = job.stages[0]
    if (stage.peerId === peerIdOf(victim)) {
      assert.deepEqual({ onVictim, elsewhere }, { onVictim: 1, elsewhere: 0 }, `${job.id}, done on ${victim.name} before the kill, ran once there`)
    } else {
      assert.equal(elsewhere, 1, `${job.id} ran once on the peers that finished it (and ${onVictim} times on ${victim.name})`)
      assert.ok(onVictim <= 1, `${job.id} ran at most once on ${victim.name} before it was killed`)
    }
  }
  for (const id of interrupted) {
    const job = ended.find(j => j.id === id)
    assert.ok(job !== undefined && job.state === 'done', `${id}, running on ${victim.name} when it was killed, is done`)
    assert.notEqual(job.stages[0].peerId, peerIdOf(victim), `${id} was finished by another peer`)
    assert.ok(job.stages[0].attempt >= 2, `${id}'s stage was awarded again`)
  }

  const refusals = (await jobList(lan, requester)).filter(j => ids.includes(j.id)).flatMap(j => j.stages.flatMap(s => s.bids.filter(b => !b.accept).map(b => ({ job: j.id, ...b }))))
  assert.ok(refusals.length > 0, 'a batch of 100 on executors taking one stage at a time met refusals')
  const unexplained = refusals.filter(b => b.reason.trim() === '')
  assert.deepEqual(unexplained.map(b => `${b.job} by ${b.peerName}`), [], 'every refusal says why')
  t.diagnostic(`${victim.name} killed while running ${interrupted.join(', ')}; ${refusals.length} refusals over the batch`)
})

/** The job whose tool runs as this process: its command line names a file in the run's folder. */
function jobOfTool (pid: number): string[] {
  try {
    const match = RUN_FOLDER.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))
    return match === null ? [] : [match[1]]
  } catch {
    return []
  }
}

/** Per job, how often its tool started on the killed peer and on the others, from the lines the runs wrote. */
function toolRunsByJob (runsFile: string, victim: MeshNode): Map<string, { onVictim: number, elsewhere: number }> {
  const byJob = new Map<string, { onVictim: number, elsewhere: number }>()
  for (const line of readFileSync(runsFile, 'utf8').split('\n').filter(l => l !== '')) {
    const match = RUN_FOLDER.exec(line)
    assert.ok(match !== null, `a run's input lies in a run folder: ${line}`)
    const counts = byJob.get(match[1]) ?? { onVictim: 0, elsewhere: 0 }
    if (line.startsWith(victim.dataDir + '/')) counts.onVictim++
    else counts.elsewhere++
    byJob.set(match[1], counts)
  }
  return byJob
}
