import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, slowService, startPeer, stopPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { call, ls } from './library-helpers.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { EntryView } from '../../src/library/entry.js'
import type { JobRecord } from '../../src/jobs/job.js'

/** Replication that a test can watch happen: a holder gone for 1.5 s is replaced, checked every 300 ms. */
const quickReplicas = (config: NodeConfig): void => { config.library = { replicas: 2, graceMs: 1500, checkMs: 300 } }

async function connect (a: MeshNode, b: MeshNode): Promise<void> {
  await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
  await waitFor(() => a.capabilities.peers().some(p => p.peerId === b.libp2p.peerId.toString()) && b.capabilities.peers().some(p => p.peerId === a.libp2p.peerId.toString()), { timeoutMs: 20_000, what: `${a.config.name} and ${b.config.name} to list each other` })
}

test('50 designs added on one peer are listed and found on another, and still fetched and processed once it is gone', async (t) => {
  const dir = await tempDir(t, 'library-mesh-')
  const copy = await slowService(dir, 0)
  const worker = (c: NodeConfig): void => { quickReplicas(c); c.services = [copy]; unsandboxed(c) }
  const first = await startPeer(t, dir, 'first', c => { quickReplicas(c); c.offers = [] })
  const second = await startPeer(t, dir, 'second', worker)
  const third = await startPeer(t, dir, 'third', worker)
  await connect(first, second)
  await connect(first, third)
  await connect(second, third)

  for (let group = 0; group < 5; group++) {
    const files: string[] = []
    for (let i = 0; i < 10; i++) {
      const file = join(dir, `part-${group}-${i}.scad`)
      await writeFile(file, `// part ${group}-${i}\ncube([${group + 1}, ${i + 1}, 2]);\n`)
      files.push(file)
    }
    await call(first, 'library.add', { files, tags: [`group${group}`, 'shop'], author: 'Alice' })
  }
  assert.equal((await ls(first)).length, 50)

  await waitFor(async () => (await ls(second)).length === 50, { timeoutMs: 60_000, what: 'the second peer to list 50 entries' })
  assert.equal((await ls(second, { tag: 'group3' })).length, 10)
  assert.deepEqual((await ls(second, { text: 'part-2-7' })).map(e => e.name), ['part-2-7.scad'])
  assert.equal((await ls(third, { author: 'alice' })).length, 50)

  const self = (node: MeshNode): string => node.libp2p.peerId.toString()
  const keptTwice = async (node: MeshNode, holders: (entry: EntryView) => string[]): Promise<boolean> => {
    const entries = await ls(node)
    return entries.length === 50 && entries.every(e => e.versions[0].files.every(f => (e.holders[f.hash] ?? []).filter(h => holders(e).includes(h)).length >= 2))
  }
  const everyone = (): string[] => [self(first), self(second), self(third)]
  await waitFor(async () => keptTwice(second, everyone), { timeoutMs: 60_000, what: 'every design kept on two peers' })

  await stopPeer(first)
  const survivors = (): string[] => [self(second), self(third)]
  await waitFor(async () => keptTwice(second, survivors), { timeoutMs: 90_000, what: 'every design copied to both peers left once the first is gone' })

  const sample = (await ls(third))[7]
  await call(third, 'library.get', { id: sample.id, out: join(dir, 'fetched.scad') })
  assert.equal(await readFile(join(dir, 'fetched.scad'), 'utf8'), await readFile(join(dir, sample.name), 'utf8'))
  const jobs: JobRecord[] = []
  for (const entry of await ls(second)) jobs.push(...await call<JobRecord[]>(second, 'library.submit', { id: entry.id, pipeline: ['slow'] }))
  assert.equal(jobs.length, 50)
  for (const job of jobs) {
    const ended = await jobEnded(second, job.id, 180_000)
    assert.equal(ended.state, 'done', `${job.id}: ${ended.error ?? ''}`)
  }
})

test('tags edited on two peers while apart merge when they meet: both sides\' edits survive, an add beats a concurrent remove', async (t) => {
  const dir = await tempDir(t, 'library-merge-')
  const east = await startPeer(t, dir, 'east', quickReplicas)
  let west = await startPeer(t, dir, 'west', quickReplicas)
  await connect(east, west)
  await writeFile(join(dir, 'hinge.scad'), 'cube(4);\n')
  const [{ entry }] = await call(east, 'library.add', { files: [join(dir, 'hinge.scad')], tags: ['t0', 't1', 'keep'] })
  await waitFor(async () => (await ls(west)).length === 1, { timeoutMs: 30_000, what: 'west to have the entry' })

  // Apart: west stops, east edits; west starts again unconnected (mDNS off, no peers configured) and edits too.
  await stopPeer(west)
  await call(east, 'library.tag', { id: entry.id, add: ['a1'], remove: ['t0', 'keep'] })
  west = await startPeer(t, dir, 'west', quickReplicas)
  await call(west, 'library.tag', { id: entry.id, add: ['b1', 'keep'], remove: ['t1'] })
  assert.deepEqual((await call<EntryView>(west, 'library.show', { id: entry.id })).tags, ['b1', 'keep', 't0'])
  assert.deepEqual((await call<EntryView>(east, 'library.show', { id: entry.id })).tags, ['a1', 't1'])

  await connect(east, west)
  for (const node of [east, west]) {
    await waitFor(async () => {
      const tags = (await call<EntryView>(node, 'library.show', { id: entry.id })).tags
      return JSON.stringify(tags) === JSON.stringify(['a1', 'b1', 'keep']) ? tags : undefined
    }, { timeoutMs: 30_000, what: `${node.config.name} to show the merged tags` })
  }
})

test('a peer without room leaves its turn: after a grace period the next peer takes the copy', async (t) => {
  const dir = await tempDir(t, 'library-room-')
  const source = await startPeer(t, dir, 'source', quickReplicas)
  const full = await startPeer(t, dir, 'full', c => { quickReplicas(c); c.market.minFreeDiskBytes = Number.MAX_SAFE_INTEGER })
  const spare = await startPeer(t, dir, 'spare', quickReplicas)
  await connect(source, full)
  await connect(source, spare)
  await connect(full, spare)
  // Five designs: the full peer ranks first for one of them at least, but for one in 32 runs.
  const files: string[] = []
  for (let i = 0; i < 5; i++) {
    files.push(join(dir, `spacer-${i}.scad`))
    await writeFile(files[i], `cylinder(h = ${i + 1}, d = 5);\n`)
  }
  await call(source, 'library.add', { files })
  const id = (node: MeshNode): string => node.libp2p.peerId.toString()
  const hashes = (await ls(source)).map(e => e.versions[0].files[0].hash)
  await waitFor(async () => {
    const entries = await ls(source)
    return entries.length === 5 && entries.every(e => JSON.stringify(e.holders[e.versions[0].files[0].hash]) === JSON.stringify([id(source), id(spare)].sort()))
  }, { timeoutMs: 60_000, what: 'every design kept on the source and the spare peer' })
  for (const hash of hashes) assert.equal(await full.blobStore.has(hash), false, 'the peer without room took no copy')
})
