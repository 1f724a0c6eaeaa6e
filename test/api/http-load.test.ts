import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { httpUrl, ownerClient } from './http-fixture.js'

const CLIENTS = 50
const REQUESTS = 500

/** 500 requests from 50 clients at once, while the node runs a job: every one answered, and the job ends well. */
test('500 requests from 50 concurrent clients are all answered while a job runs', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-load-')
  const slow = await slowService(dir, 2)
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [slow]; c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [slow] })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('slow')) ? true : undefined, { timeoutMs: 10_000, what: 'the executor to be listed' })
  const design = join(dir, 'part.txt')
  await writeFile(design, 'a part\n')
  const [job] = await (await ownerClient(t, requester)).call('submit', { files: [design], pipeline: ['slow'] })

  const api = httpUrl(requester) + '/api/v1'
  const paths = ['/status', '/peers', '/jobs', `/jobs/${job.id as string}`, '/printers']
  const statuses: number[] = []
  let next = 0
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      const path = paths[next++ % paths.length]
      const response = await fetch(api + path, { signal: AbortSignal.timeout(30_000) })
      await response.arrayBuffer()
      statuses.push(response.status)
    }
  }
  assert.equal((await requester.jobStore.get(job.id))?.state, 'running', 'the job runs through the burst')
  await Promise.all(Array.from({ length: CLIENTS }, client))
  assert.equal(statuses.length, REQUESTS)
  assert.deepEqual([...new Set(statuses)], [200])
  assert.equal((await jobEnded(requester, job.id)).state, 'done')
})
