import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { BlobStore } from '../../src/blobs/blob-store.js'
import { BLOB_PROTOCOL } from '../../src/blobs/constants.js'
import { MAX_INLINE_BYTES, MAX_INLINE_FILES } from '../../src/market/constants.js'
import { inlineFiles, keepInlineFiles } from '../../src/market/inline-blobs.js'
import { jobEnded, startRequesterAndExecutor, tempDir } from './mesh-fixture.js'
import type { JobRecord } from '../../src/jobs/job.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

async function put (store: BlobStore, content: Uint8Array): Promise<{ hash: string, size: number }> {
  const stored = await store.write((async function * () { yield content })())
  return { hash: stored.hash, size: stored.size }
}

test('a message carries the small files this node holds, within the limits, and none it lacks', async (t) => {
  const store = await BlobStore.open(join(await tempDir(t, 'meshnode-inline-'), 'blobs'))
  const design = await put(store, Buffer.from('cube([10, 10, 5]);\n'))
  const big = await put(store, Buffer.alloc(MAX_INLINE_BYTES + 1, 7))
  const missing = { hash: sha256(Buffer.from('not here')), size: 8 }
  const inline = await inlineFiles(store, [design, big, missing, design])
  assert.deepEqual(inline.map(i => i.hash), [design.hash], 'only the small held file, once')
  assert.equal(Buffer.from(inline[0].content).toString(), 'cube([10, 10, 5]);\n')

  const many = await Promise.all(Array.from({ length: MAX_INLINE_FILES + 2 }, async (_, i) => put(store, Buffer.from(`file ${i}\n`))))
  assert.equal((await inlineFiles(store, many)).length, MAX_INLINE_FILES)
})

test('only named files with their own size and sha256 are kept; anything else is dropped and nothing is written', async (t) => {
  const store = await BlobStore.open(join(await tempDir(t, 'meshnode-inline-'), 'blobs'))
  const good = Buffer.from('sphere(5);\n')
  const named = { hash: sha256(good), size: good.byteLength }
  const stranger = Buffer.from('not asked for\n')
  const forgedUnderName = Buffer.from('sphere(6);\n')
  const kept = await keepInlineFiles(store, [named], [
    { hash: sha256(stranger), content: stranger },
    { hash: named.hash, content: forgedUnderName }
  ])
  assert.deepEqual(kept, [])
  assert.equal(await store.has(named.hash), false)
  assert.equal(await store.has(sha256(stranger)), false)

  assert.deepEqual(await keepInlineFiles(store, [named], [{ hash: named.hash, content: good }]), [named.hash])
  assert.equal(await store.has(named.hash), true)
})

test('with the blob protocol off on both peers, a small job still runs: its input goes in the offer, its output in the result', async (t) => {
  const dir = await tempDir(t, 'meshnode-inline-')
  const { requester, executor } = await startRequesterAndExecutor(t, dir)
  await requester.libp2p.unhandle(BLOB_PROTOCOL)
  await executor.libp2p.unhandle(BLOB_PROTOCOL)

  const input = join(dir, 'part.txt')
  await writeFile(input, 'a part small enough to travel inline\n')
  const [job] = await requester.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {} } })
  const done = await jobEnded(requester, job.id)
  assert.equal(done.state, 'done', done.error)
  assert.equal(done.stages[0].peerName, 'executor')
  const result = done.result as NonNullable<JobRecord['result']>
  assert.ok(result.holders.includes(requester.libp2p.peerId.toString()), 'the requester holds the output')
  const out = join(dir, 'out.txt')
  await requester.blobStore.copyTo(result.hash, out)
  assert.equal(await readFile(out, 'utf8'), 'a part small enough to travel inline\n')
})
