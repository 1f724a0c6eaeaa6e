import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { withDaemon } from '../../../src/cli/run-action.js'
import { jobDetail } from '../../../src/cli/job-view.js'
import { SignedProvenance } from '../../../protocols/provenance.js'
import { jobEnded, startPeer, tempDir } from '../../market/mesh-fixture.js'
import { runNode } from '../../lan/run-node.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'

const BIN = join(import.meta.dirname, '../../../src/bin/meshnode.js')

async function cli (node: MeshNode, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await runNode([BIN, ...args, '--data-dir', node.config.dataDir], { timeoutMs: 60_000 }).done
}

test('a signed record per part: verify accepts the real output and refuses a changed byte or a forged signature', async (t) => {
  const dir = await tempDir(t, 'meshnode-provenance-')
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const workshop = await startPeer(t, dir, 'workshop', c => {
    c.offers = ['scad', 'slice']
    Object.assign(c.tools, { curaEngine: false, slic3r: false })
  })
  const bystander = await startPeer(t, dir, 'bystander', c => { c.offers = [] })
  for (const peer of [workshop, bystander]) await laptop.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  await bystander.libp2p.dial(workshop.libp2p.getMultiaddrs()[0])

  const design = join(dir, 'block.scad')
  await writeFile(design, 'size = 10;\ncube([size, 10, 5]);\n')
  const [submitted] = await laptop.jobs.submit({ files: [design], extra: [], pipeline: ['scad', 'slice'], options: { params: { size: '14' } } })
  const job = await jobEnded(laptop, submitted.id, 180_000)
  assert.equal(job.state, 'done', jobDetail(job))
  const part = join(dir, 'block.gcode')
  await withDaemon(laptop.config.dataDir, async c => c.call('get', { id: job.id, out: part }))
  const workshopId = workshop.libp2p.peerId.toString()

  await t.test('"meshnode verify" on the requester: every stage signed by the workshop, from the design to this G-code', async () => {
    const run = await cli(laptop, ['verify', part])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /^verified: [0-9a-f]{64} from job /)
    assert.match(run.stdout, new RegExp(`stage 1 scad on ${workshopId}: signature ok`))
    assert.match(run.stdout, new RegExp(`stage 2 slice on ${workshopId}: signature ok`))
    assert.match(run.stdout, /params\s+size=14/, 'the -D parameters are in the record')
    assert.match(run.stdout, /tool\s+openscad \S+/)
    assert.match(run.stdout, /tool\s+prusa-slicer \S+/)
  })

  await t.test('a peer that never saw the job finds the record in the mesh by the file\'s hash', async () => {
    const verification = await withDaemon(bystander.config.dataDir, async c => c.call('verify', { hash: job.stages[1].output?.hash }))
    assert.equal(verification.verified, true, JSON.stringify(verification.problems))
    assert.equal(verification.from, laptop.libp2p.peerId.toString())
    assert.deepEqual(verification.stages.map((s: { kind: string, peerId: string }) => [s.kind, s.peerId]), [['scad', workshopId], ['slice', workshopId]])
  })

  await t.test('"meshnode job ID --provenance" prints the job\'s record', async () => {
    const run = await cli(laptop, ['job', job.id, '--provenance'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`verified: ${job.stages[1].output?.hash ?? '?'} from job ${job.id}`))
    assert.match(run.stdout, /inputs\s+[0-9a-f]{64}/)
  })

  await t.test('one changed byte: no record, refused', async () => {
    const bytes = await readFile(part)
    bytes[Math.floor(bytes.length / 2)] ^= 1
    const changed = join(dir, 'changed.gcode')
    await writeFile(changed, bytes)
    const run = await cli(laptop, ['verify', changed])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, /^NOT verified/)
    assert.match(run.stdout, /no peer knows of a job that made this file/)
  })

  await t.test('a forged signature on the slice stage\'s record: refused, naming the stage', async () => {
    const stored = await laptop.jobStore.get(job.id)
    assert.ok(stored?.stages[1].provenance !== undefined, 'the requester kept the slice stage\'s record')
    const signed = SignedProvenance.decode(Buffer.from(stored.stages[1].provenance, 'base64'))
    signed.signature[0] ^= 0xff
    const forged = Buffer.from(SignedProvenance.encode(signed)).toString('base64')
    await laptop.jobStore.update(job.id, stored.rev, j => { j.stages[1].provenance = forged })
    const run = await cli(laptop, ['verify', part])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, /^NOT verified/)
    assert.match(run.stdout, new RegExp(`bad signature on stage 2 \\(slice\\), said to be by ${workshopId}`))
    assert.match(run.stdout, /stage 1 scad on \S+: signature ok/, 'the scad stage still checks out')
  })
})
