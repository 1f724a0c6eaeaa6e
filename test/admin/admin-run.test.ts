import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sealDocument } from '../../src/admin/admin-document.js'
import { readAdminKey } from '../../src/admin/admin-key.js'
import { OWNER } from '../../src/api/caller.js'
import { parseCommandConfig } from '../../src/executors/admin-command.js'
import { cli, connectAll, makeAdmin, startAdminPeer } from './admin-fixture.js'
import { jobEnded, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import type { TestContext } from 'node:test'

/** a offers nothing and calls; b, tagged printers, declares `greet WORD` and `hang` (over its 1 s timeout). */
async function twoPeers (t: TestContext) {
  const dir = await tempDir(t, 'admin-run-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin, c => { c.offers = [] })
  const b = await startAdminPeer(t, dir, 'b', admin, c => {
    c.tags = ['printers']
    c.commands = [
      parseCommandConfig({ name: 'greet', command: '/bin/echo', args: ['hello', '{1}'], timeoutSec: 30 }, 'commands[0]'),
      parseCommandConfig({ name: 'hang', command: '/bin/sleep', args: ['600'], timeoutSec: 1 }, 'commands[1]')
    ]
  })
  await connectAll([a, b])
  // a learns b's name and tags from b's report.
  await waitFor(() => a.admin.reports.fleet().some(n => n.name === 'b'), { timeoutMs: 30_000, what: 'a to hear b\'s report' })
  const run = async (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => cli(['admin', 'run', '--key', admin.keyFile, '--data-dir', a.config.dataDir, ...args])
  return { dir, admin, a, b, run }
}

test('admin run of a declared command streams its output back with its exit code; the same document again is refused', async (t) => {
  const { admin, a, b, run } = await twoPeers(t)
  const greeted = await run('--to', 'printers', 'greet', 'world')
  assert.equal(greeted.code, 0, greeted.stderr)
  assert.match(greeted.stdout, /^b \| hello world$/m)
  assert.match(greeted.stdout, /^b: exit code 0$/m)

  const signed = sealDocument({ kind: 'run', target: { all: false, names: ['b'] }, revision: Date.now(), expiresAt: Date.now() + 60_000, body: { name: 'greet', args: ['again'] } }, await readAdminKey(admin.keyFile))
  const ctx = { emit: () => {}, signal: new AbortController().signal, caller: OWNER }
  const first = await a.api.call('admin.run', { document: Buffer.from(signed).toString('base64') }, ctx) as Array<{ exitCode?: number }>
  assert.equal(first[0].exitCode, 0)
  const replayed = await a.api.call('admin.run', { document: Buffer.from(signed).toString('base64') }, ctx) as Array<{ error?: string }>
  assert.match(replayed[0].error ?? '', /not newer than the last command run here: a replay|a replay/)
  const log = await b.api.call('admin.log', {}, ctx) as Array<{ decision: string }>
  assert.deepEqual(log.map(e => e.decision), ['ran', 'ran', 'refused'])
})

test('an undeclared command is refused by name, and a command past its timeout is killed', async (t) => {
  const { run } = await twoPeers(t)
  const undeclared = await run('--to', 'b', '--', 'rm', '-rf', '/')
  assert.equal(undeclared.code, 1)
  assert.match(undeclared.stdout, /^b: no command "rm" is declared on b \(it has: drain, undrain, restart, greet, hang\)$/m)

  const hung = await run('--to', 'b', 'hang')
  assert.equal(hung.code, 1)
  assert.match(hung.stdout, /^b: killed after its timeout of 1 s$/m)
})

test('drain stops a node bidding until undrain, and the fleet view shows it', async (t) => {
  const { a, b, run } = await twoPeers(t)
  const drained = await run('--to', 'b', 'drain')
  assert.equal(drained.code, 0, drained.stderr + drained.stdout)
  assert.match(drained.stdout, /b \| drained/)
  await waitFor(() => a.admin.reports.fleet().find(n => n.name === 'b')?.drained === true, { timeoutMs: 30_000, what: 'a to see b drained' })
  const status = await cli(['admin', 'status', '--data-dir', a.config.dataDir])
  assert.match(status.stdout, /DRAINED/)
  const submitted = await cli(['submit', '--data-dir', a.config.dataDir, '--pipeline', 'slow', '--json', '--detach', import.meta.filename])
  assert.equal(submitted.code, 0, submitted.stderr)
  const [id] = JSON.parse(submitted.stdout).map((j: { id: string }) => j.id) as string[]
  await waitFor(async () => (await a.jobStore.get(id))?.stages[0].bids.some(bid => !bid.accept && /drained by an admin/.test(bid.reason)), { timeoutMs: 60_000, what: 'b to refuse the stage as drained' })
  assert.equal((await a.jobStore.get(id))?.stages[0].peerName, undefined, 'no one runs it while b is drained')

  assert.equal((await run('--to', 'b', 'undrain')).code, 0)
  const done = await jobEnded(a, id, 120_000)
  assert.equal(done.state, 'done')
  assert.equal(done.stages[0].peerName, 'b')
  assert.equal(b.admin.reports.fleet()[0].drained, false)
})
