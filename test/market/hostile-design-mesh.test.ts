import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { waitFor } from '../lan/wait.js'
import { jobEnded, startPeer, tempDir } from './mesh-fixture.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** Everything the mesh shows of a job: its record, its events (the tool's log among them), its output's bytes. */
async function everythingShown (requester: MeshNode, executor: MeshNode, id: string): Promise<string> {
  const job = await jobEnded(requester, id, 60_000)
  const events = await requester.jobStore.events(id)
  const output = job.stages[0].output
  const bytes = output == null ? '' : await readFile(join(executor.config.dataDir, 'blobs', output.hash.slice(0, 2), output.hash.slice(2)), 'utf8')
  return JSON.stringify(job) + JSON.stringify(events) + bytes
}

test('through real peers, a design that reaches for the executor\'s files gets nothing of them: the scan refuses the plain tricks, the sandbox holds the rest', async (t) => {
  const dir = await tempDir(t, 'meshnode-hostile-')
  const requester = await startPeer(t, dir, 'requester', c => { c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.offers = ['scad'] })
  assert.equal(executor.executors.find(e => e.tool.stage === 'scad')?.tool.embedded, false, 'the executor renders with native OpenSCAD')
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('scad')), { timeoutMs: 10_000, what: 'the requester to see the executor' })

  // A secret in the executor's own data dir, beside the work folder its stages run in.
  const marker = `TOPSECRET-${randomBytes(6).toString('hex')}`
  const secret = join(executor.config.dataDir, 'secret.dxf')
  await writeFile(secret, `${marker} first line\n0\nSECTION\n`)
  await writeFile(join(executor.config.dataDir, 'secret.scad'), `echo("${marker}");\n`)

  // A file name the scan cannot see (a variable): OpenSCAD runs and tries the read, in the sandbox.
  const computed = join(dir, 'computed.scad')
  await writeFile(computed, `f = "${secret}";\nlinear_extrude(f);\ncube(3);\n`)
  const [first] = await requester.jobs.submit({ files: [computed], extra: [], pipeline: ['scad'], options: { params: {} } })
  const rendered = await everythingShown(requester, executor, first.id)
  assert.equal((await jobEnded(requester, first.id)).state, 'done', rendered.slice(0, 2000))
  assert.ok(!rendered.includes(marker), `nothing of the secret in the job's record, log or output:\n${rendered.slice(0, 2000)}`)
  assert.match(rendered, /Can't open DXF file/, 'OpenSCAD tried, and found no such file')

  // include <evil.inc> from --with, evil.inc reaching for the secret design: the scan follows the include.
  const part = join(dir, 'part.scad')
  const evil = join(dir, 'evil.inc')
  await writeFile(part, 'include <evil.inc>\ncube(1);\n')
  await writeFile(evil, `include <${join(executor.config.dataDir, 'secret.scad')}>\nimport("${secret}");\n`)
  const [second] = await requester.jobs.submit({ files: [part], extra: [evil], pipeline: ['scad'], options: { params: {} } })
  const refused = await everythingShown(requester, executor, second.id)
  const ended = await jobEnded(requester, second.id)
  assert.equal(ended.state, 'failed')
  assert.match(ended.error ?? '', /secret\.scad, outside its job directory/)
  assert.ok(!refused.includes(marker), 'nothing of the secret in the failed job')
})
