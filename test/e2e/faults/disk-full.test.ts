import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan } from '../../lan/harness.js'
import { jobView, parseJson } from '../jobs/jobs-helpers.js'
import { history, NOOP, peersBefore, scriptService, sha256, waitListed, writeConfig } from './faults-helpers.js'
import type { JobRecord } from '../../../src/jobs/job.js'

const DISK = '4m'
/** More than half the disk: the tool can write it, but the blob store cannot keep a second copy. */
const OUTPUT_BYTES = 2.5 * 1024 * 1024

function umount (dir: string): void {
  try { execFileSync('umount', [dir], { stdio: 'ignore' }) } catch { /* not mounted */ }
}

test('a full disk in the blob store: the stage fails naming the disk, no partial blob is served, the node keeps running', async (t) => {
  const lan = await createLan(undefined, { size: 2 })
  // The executor's data dir is a tiny tmpfs. harness.launch() puts it at <lan.dir>/<name>/data.
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

  const big = scriptService(lan.dir, 'big', `head -c ${OUTPUT_BYTES} /dev/zero > "$2"`)
  const config = writeConfig(lan.dir, 'big', { services: [big, NOOP], market: { maxAttempts: 2 } })
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
