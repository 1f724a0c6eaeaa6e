import assert from 'node:assert/strict'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseServiceConfig } from '../../../src/config/service-config.js'
import { waitFor } from '../../lan/wait.js'
import { jobEnded, slowService, startPeer, tempDir } from '../../market/mesh-fixture.js'

const MAX_AGE_MS = 3000

test('the inputs of failed and cancelled jobs age out of the blob store; a live job\'s stay however old', async (t) => {
  const dir = await tempDir(t, 'meshnode-age-out-')
  const broken = join(dir, 'broken.sh')
  await writeFile(broken, '#!/bin/sh\necho "cannot read this" >&2\nexit 1\n')
  await chmod(broken, 0o755)
  const fails = parseServiceConfig({ name: 'fails', command: broken, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]')
  const slow = await slowService(dir, 120)
  const node = await startPeer(t, dir, 'workshop', config => {
    config.services = [fails, slow]
    config.blobs.maxAgeMs = MAX_AGE_MS
  })
  const input = async (name: string, size: number): Promise<string> => {
    const path = join(dir, name)
    await writeFile(path, Buffer.alloc(size, name))
    return path
  }
  const submit = async (file: string, stage: string): Promise<{ id: string, hash: string }> => {
    const [job] = await node.jobs.submit({ files: [await input(file, 200_000)], extra: [], pipeline: [stage], options: { params: {} } })
    return { id: job.id, hash: job.input.hash }
  }
  const failed = await submit('failed.stl', 'fails')
  const cancelled = await submit('cancelled.stl', 'slow')
  const live = await submit('live.stl', 'slow')
  assert.equal((await jobEnded(node, failed.id)).state, 'failed')
  await waitFor(async () => (await node.jobStore.get(cancelled.id))?.stages[0].state === 'running', { timeoutMs: 20_000, what: 'the job to cancel to be running' })
  await node.jobs.cancel(cancelled.id)
  assert.equal((await jobEnded(node, cancelled.id)).state, 'cancelled')

  await waitFor(async () => !(await node.blobStore.has(failed.hash)) && !(await node.blobStore.has(cancelled.hash)), {
    timeoutMs: 6 * MAX_AGE_MS, intervalMs: 250, what: 'the failed and the cancelled job\'s inputs to age out'
  })
  const kept = await node.blobStore.stat(live.hash)
  assert.ok(kept != null, 'the running job\'s input is kept')
  assert.ok(Date.now() - kept.lastUsed > MAX_AGE_MS, 'though it is older than the age limit')
  assert.equal((await node.jobStore.get(live.id))?.state, 'running')
  await node.jobs.cancel(live.id)
})
