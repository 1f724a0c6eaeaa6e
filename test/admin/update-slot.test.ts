import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { chooseProgram, TRIAL_ENV, UpdateSlot } from '../../src/admin/update-slot.js'

test('meshnode start runs the slot\'s version: a trial once, marked; a trial that ended unconfirmed rolls back to the version before', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'update-slot-'))
  t.after(async () => rm(dataDir, { recursive: true, force: true }))
  const installed = join(dataDir, 'install', 'meshnode.js')
  await mkdir(join(dataDir, 'install'))
  await writeFile(installed, '')
  const slot = new UpdateSlot(dataDir)

  assert.deepEqual(await chooseProgram(dataDir, installed, {}), { run: 'here' })
  await assert.rejects(stat(slot.dir), { code: 'ENOENT' }, 'a node that never updated keeps its data dir as it was')

  await slot.write({ installed, trial: { version: '2.0.0', revision: 5, deadlineMs: 60_000, startedAt: 0, peersBefore: 1 } })
  const trialProgram = join(slot.dir, '2.0.0', 'dist', 'src', 'bin', 'meshnode.js')
  assert.deepEqual(await chooseProgram(dataDir, installed, {}, 1000), { run: 'program', program: trialProgram, env: { [TRIAL_ENV]: '5' }, watch: { revision: 5, deadline: 71_000 } })
  assert.equal((await slot.read()).trial?.startedAt, 1000)
  assert.deepEqual(await chooseProgram(dataDir, trialProgram, { [TRIAL_ENV]: '5' }), { run: 'here' }, 'the process started for the trial runs it')

  // Started again without the mark (systemd after a crash, an operator's start): the trial is over.
  assert.deepEqual(await chooseProgram(dataDir, installed, {}, 31_000), { run: 'here' })
  const after = await slot.read()
  assert.equal(after.trial, undefined)
  assert.equal(after.running, undefined)
  assert.deepEqual(after.outcome, { revision: 5, version: '2.0.0', state: 'rolled-back', reason: 'version 2.0.0 stopped before it was healthy (it crashed, or was stopped, 30 s after it started)', logged: false })

  await slot.write({ ...after, running: '2.0.0' })
  assert.deepEqual(await chooseProgram(dataDir, installed, {}), { run: 'program', program: trialProgram, env: {} }, 'a confirmed version runs at every start')
  assert.throws(() => slot.versionDir('../../etc'), /not a version/)
})
