import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { sealDocument } from '../../src/admin/admin-document.js'
import { FETCH_ATTEMPTS } from '../../src/admin/admin-services.js'
import { readAdminKey } from '../../src/admin/admin-key.js'
import { OWNER } from '../../src/api/caller.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { cli, connectAll, makeAdmin, offersSeen, startAdminPeer, writeJson } from './admin-fixture.js'
import { jobEnded, stopPeer, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** A script that upper-cases its input, and its definition as a service pushed with it. */
async function upperService (dir: string, name = 'upper'): Promise<{ script: string, definition: Record<string, unknown> }> {
  const script = join(dir, `${name}.sh`)
  // Its name in it: each service's file is a blob of its own.
  await writeFile(script, `#!/bin/sh\n# ${name}\ntr a-z A-Z < "$1" > "$2"\n`)
  await chmod(script, 0o755)
  return { script, definition: { name, command: `${name}.sh`, args: ['{input}', '{output}'], outputExtension: 'txt', timeoutSec: 30 } }
}

/** What `by` last heard `node` say of its service `name`. */
function outcomeSeen (by: MeshNode, node: string, name: string): { revision: number, outcome: string, reason: string } | undefined {
  return by.admin.reports.fleet().find(n => n.name === node)?.serviceOutcomes.find(o => o.name === name)
}

test('a pushed service with a script file runs on its targets and nowhere else', async (t) => {
  const dir = await tempDir(t, 'admin-service-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const b = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['render'] })
  const c = await startAdminPeer(t, dir, 'c', admin)
  await connectAll([a, b, c])

  const upper = await upperService(dir)
  const script = upper.script
  const definition = await writeJson(dir, 'upper.json', upper.definition)
  const pushed = await cli(['admin', 'service', 'push', '--to', 'render', '--key', admin.keyFile, '--data-dir', a.config.dataDir, definition, script])
  assert.equal(pushed.code, 0, pushed.stderr + pushed.stdout)
  assert.match(pushed.stdout, /upper\.sh \(sha256 [0-9a-f]{12}…\)/)
  assert.match(pushed.stdout, /^ {2}b +installed$/m, 'the push waits for the target to install it')

  await waitFor(() => offersSeen(a, 'b')?.includes('upper'), { timeoutMs: 60_000, what: 'b to offer the pushed service' })
  assert.ok(!(offersSeen(a, 'c') ?? []).includes('upper'), 'c is not a target')
  assert.ok(!c.capabilities.local().offers.includes('upper'))
  const fleet = await waitFor(() => { const b1 = a.admin.reports.fleet().find(n => n.name === 'b'); return b1?.services.includes('upper') === true && b1 }, { timeoutMs: 30_000, what: 'b to report the service' })
  assert.deepEqual(fleet.services, ['upper'])

  const input = join(dir, 'note.txt')
  await writeFile(input, 'made on the mesh\n')
  const submitted = await cli(['submit', '--data-dir', a.config.dataDir, '--pipeline', 'upper', '--json', '--detach', input])
  assert.equal(submitted.code, 0, submitted.stderr)
  const [id] = JSON.parse(submitted.stdout).map((j: { id: string }) => j.id) as string[]
  const job = await jobEnded(a, id, 120_000)
  assert.equal(job.state, 'done', JSON.stringify(job.stages[0]))
  assert.equal(job.stages[0].peerName, 'b')
  const out = join(dir, 'out.txt')
  const got = await cli(['get', id, '-o', out, '--data-dir', a.config.dataDir])
  assert.equal(got.code, 0, got.stderr)
  assert.equal(await readFile(out, 'utf8'), 'MADE ON THE MESH\n')
})

test('service push reports each target: installed, rejected with the reason, or no answer yet from one that is away', async (t) => {
  const dir = await tempDir(t, 'admin-service-')
  const admin = await makeAdmin(dir)
  const upper = await upperService(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const b = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['render'] })
  // c runs a service of its own by that name: an admin's cannot replace it.
  const c = await startAdminPeer(t, dir, 'c', admin, c => {
    c.tags = ['render']
    c.services = [...c.services, parseServiceConfig({ ...upper.definition, command: upper.script }, 'services[1]')]
  })
  const d = await startAdminPeer(t, dir, 'd', admin, c => { c.tags = ['render'] })
  await connectAll([a, b, c, d])
  await waitFor(() => ['b', 'c', 'd'].every(name => a.admin.reports.fleet().some(n => n.name === name)), { timeoutMs: 30_000, what: 'a to hear b, c and d' })
  await stopPeer(d)

  const definition = await writeJson(dir, 'upper.json', upper.definition)
  const pushed = await cli(['admin', 'service', 'push', '--to', 'render', '--wait', '10', '--key', admin.keyFile, '--data-dir', a.config.dataDir, definition, upper.script])
  assert.equal(pushed.code, 1, 'not every target installed it')
  assert.match(pushed.stdout, /^sent service revision \d+ to render, with upper\.sh/m)
  assert.match(pushed.stdout, /^ {2}b +installed$/m)
  assert.match(pushed.stdout, /^ {2}c +rejected: config field "services": "upper" is a service of this node's own config/m)
  assert.match(pushed.stdout, /^ {2}d +no answer yet$/m)
  assert.ok(b.capabilities.local().offers.includes('upper'))
})

test('a target that cannot fetch a service\'s file tries again, waiting longer each time: it installs once the file is there, and rejects after its last try', async (t) => {
  const dir = await tempDir(t, 'admin-service-')
  const admin = await makeAdmin(dir)
  const signer = await readAdminKey(admin.keyFile)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const b = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['render'] })
  await connectAll([a, b])
  const ctx = { emit: () => {}, signal: new AbortController().signal, caller: OWNER }
  // A document naming a as the holder of a file a does not have (yet), as after a lost or pruned blob.
  const push = async (name: string): Promise<{ revision: number, script: string }> => {
    const { script, definition } = await upperService(dir, name)
    const bytes = await readFile(script)
    const revision = Date.now()
    const file = { name: `${name}.sh`, hash: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, holder: a.libp2p.peerId.toString() }
    const document = sealDocument({ kind: 'service', target: { all: false, names: ['render'] }, revision, expiresAt: revision + 3600_000, body: { service: definition, files: [file] } }, signer)
    const taken = await a.api.call('admin.publish', { document: Buffer.from(document).toString('base64') }, ctx) as { decision: string }
    assert.equal(taken.decision, 'accepted')
    return { revision, script }
  }

  const upper = await push('upper')
  const failed = await waitFor(() => { const o = outcomeSeen(a, 'b', 'upper'); return o?.revision === upper.revision && /^try 1 of \d+ failed/.test(o.reason) && o }, { timeoutMs: 30_000, what: 'b to report its first failed fetch' })
  assert.equal(failed.outcome, 'fetching')
  await a.blobStore.importFile(upper.script)
  await waitFor(() => outcomeSeen(a, 'b', 'upper')?.outcome === 'installed', { timeoutMs: 60_000, what: 'b to fetch the file on a later try and install the service' })
  await waitFor(() => offersSeen(a, 'b')?.includes('upper'), { timeoutMs: 30_000, what: 'b to offer the service' })

  const lower = await push('lower')
  const rejected = await waitFor(() => { const o = outcomeSeen(a, 'b', 'lower'); return o?.revision === lower.revision && o.outcome === 'rejected' && o }, { timeoutMs: 120_000, what: 'b to give up on a file that never comes' })
  assert.match(rejected.reason, new RegExp(`^fetching the files failed ${FETCH_ATTEMPTS} times, the last: `))
  assert.ok(!b.capabilities.local().offers.includes('lower'))
  const log = await b.api.call('admin.log', {}, ctx) as Array<{ decision: string, key?: string }>
  assert.deepEqual(log.filter(e => e.key?.startsWith('service/')).map(e => `${e.decision} ${String(e.key)}`), ['accepted service/upper:render', 'applied service/upper:render', 'accepted service/lower:render', 'rejected service/lower:render'])
})
