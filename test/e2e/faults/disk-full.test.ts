import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { jobView, parseJson, submitDetached } from '../jobs/jobs-helpers.js'
import { history, NOOP, peersBefore, scriptService, sha256, waitListed, writeConfig } from './faults-helpers.js'
import type { Lan } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'
import type { TestContext } from 'node:test'

const DISK = '4m'
/** More than half the disk: the tool can write it, but the blob store cannot keep a second copy. */
const OUTPUT_BYTES = 2.5 * 1024 * 1024

function umount (dir: string): void {
  try { execFileSync('umount', [dir], { stdio: 'ignore' }) } catch { /* not mounted */ }
}

/** Two namespaces whose second peer (the executor) keeps its data dir on a tmpfs of DISK; all undone after the test. */
async function lanWithTinyExecutorDisk (t: TestContext): Promise<{ lan: Lan, dataDir: string }> {
  const lan = await createLan(undefined, { size: 2 })
  // harness.launch() puts a node's data dir at <lan.dir>/<name>/data.
  const dataDir = join(lan.dir, 'node-1', 'data')
  mkdirSync(dataDir, { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK}`, 'tmpfs', dataDir])
  const unmountOnExit = (): void => { umount(dataDir) }
  process.once('exit', unmountOnExit)
  t.after(async () => {
    lan.reportIfFailed(t)
    for (const node of lan.nodes) if (node.process.exitStatus === undefined) await lan.kill9(node)
    umount(dataDir)
    process.off('exit', unmountOnExit)
    await lan.close()
  })
  return { lan, dataDir }
}

test('a full disk in the blob store: the stage fails naming the disk, no partial blob is served, the node keeps running', async (t) => {
  const { lan, dataDir } = await lanWithTinyExecutorDisk(t)

  const big = scriptService(lan.dir, 'big', `head -c ${OUTPUT_BYTES} /dev/zero > "$2"`)
  // No floor of free space: the disk is to fill during the stage, which no bid can foresee.
  const config = writeConfig(lan.dir, 'big', { services: [big, NOOP], market: { maxAttempts: 2, minFreeDiskMiB: 0 } })
  const [requester, executor] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'big,noop', ...peersBefore(lan, i)] }))
  await waitListed(lan, requester, [executor], 'big')

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a small input\n')
  const run = await lan.runCli(requester, ['submit', input, '--pipeline', 'big', '--json'], 90_000)
  assert.notEqual(run.code, 0, 'submit exits non-zero')
  const [job] = JSON.parse(run.stdout) as JobRecord[]
  const view = await jobView(lan, requester, job.id)
  assert.equal(job.state, 'failed', history(view))
  assert.match(job.stages[0].error ?? '', /no space left/i, `the stage's error names the disk:\n${history(view)}`)
  assert.match(run.stderr, /no space left/i, 'submit says why')

  // Nothing half-written: no temp or partial file, and every blob the executor serves is whole.
  const blobs = join(dataDir, 'blobs')
  assert.deepEqual(readdirSync(join(blobs, 'tmp')), [], 'no temp file is left in the blob store')
  assert.deepEqual(readdirSync(join(blobs, 'partial')), [], 'no partial download is left')
  for (const fan of readdirSync(blobs).filter(d => /^[0-9a-f]{2}$/.test(d))) {
    for (const name of readdirSync(join(blobs, fan))) {
      assert.equal(sha256(readFileSync(join(blobs, fan, name))), fan + name, `blob ${fan + name} is whole`)
    }
  }
  assert.ok(!existsSync(join(blobs, sha256(Buffer.alloc(OUTPUT_BYTES)).slice(0, 2), sha256(Buffer.alloc(OUTPUT_BYTES)).slice(2))), 'the output that did not fit is not in the store')

  // The node runs on, and work that fits still gets done there.
  assert.equal((await lan.status(executor)).peerId, executor.peerId, 'the executor still answers status')
  const small = parseJson<JobRecord[]>(await lan.runCli(requester, ['submit', input, '--pipeline', 'noop', '--json'], 60_000), 'a small job afterwards')
  assert.equal(small[0].state, 'done', history(await jobView(lan, requester, small[0].id)))
  assert.equal(small[0].stages[0].peerId, executor.peerId)
})

test('a peer whose disk has less free than its floor bids on nothing, and meshnode job says how much is free', async (t) => {
  const { lan } = await lanWithTinyExecutorDisk(t)
  // The default floor (512 MiB) is far above what the executor's disk holds.
  const config = writeConfig(lan.dir, 'noop', { services: [NOOP] })
  const [requester, executor] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'noop', ...peersBefore(lan, i)] }))
  await waitListed(lan, requester, [executor], 'noop')

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a small input\n')
  const [id] = await submitDetached(lan, requester, [input, '--pipeline', 'noop'])
  const refusal = await waitFor(async () => (await jobView(lan, requester, id)).stages[0].bids.find(b => b.peerId === executor.peerId && !b.accept),
    { timeoutMs: 30_000, intervalMs: 250, what: 'the executor to refuse the stage' })
  const free = /^low on disk: ([\d.]+) (MiB|KiB) free, keeps 512 MiB free plus twice the input \(14 bytes\)$/.exec(refusal.reason)
  assert.ok(free != null, `the reason says what is free and the floor: ${refusal.reason}`)
  const freeMiB = Number(free[1]) / (free[2] === 'KiB' ? 1024 : 1)
  assert.ok(freeMiB > 0 && freeMiB <= 4, `${free[1]} ${free[2]} is what the ${DISK} disk has free`)
  const shown = await lan.runCli(requester, ['job', id])
  assert.equal(shown.code, 0, shown.stderr)
  assert.ok(shown.stdout.includes(refusal.reason), `meshnode job shows the refusal:\n${shown.stdout}`)
  assert.equal((await jobView(lan, requester, id)).state, 'running', 'the job waits for a peer with room rather than failing')
  assert.equal((await lan.runCli(requester, ['cancel', id])).code, 0)
})
