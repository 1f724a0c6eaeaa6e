import assert from 'node:assert/strict'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { cli, connectAll, makeAdmin, offersSeen, startAdminPeer, writeJson } from './admin-fixture.js'
import { jobEnded, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

test('a pushed service with a script file runs on its targets and nowhere else', async (t) => {
  const dir = await tempDir(t, 'admin-service-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const b = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['render'] })
  const c = await startAdminPeer(t, dir, 'c', admin)
  await connectAll([a, b, c])

  const script = join(dir, 'upper.sh')
  await writeFile(script, '#!/bin/sh\ntr a-z A-Z < "$1" > "$2"\n')
  await chmod(script, 0o755)
  const definition = await writeJson(dir, 'upper.json', { name: 'upper', command: 'upper.sh', args: ['{input}', '{output}'], outputExtension: 'txt', timeoutSec: 30 })
  const pushed = await cli(['admin', 'service', 'push', '--to', 'render', '--key', admin.keyFile, '--data-dir', a.config.dataDir, definition, script])
  assert.equal(pushed.code, 0, pushed.stderr)
  assert.match(pushed.stdout, /upper\.sh \(sha256 [0-9a-f]{12}…\)/)

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
