import assert from 'node:assert/strict'
import { once } from 'node:events'
import { join } from 'node:path'
import { test } from 'node:test'
import { RESTART_EXIT_CODE } from '../../src/cli/self-restart.js'
import { meshnode, startDaemon } from '../cli/host-daemon.js'
import { makeAdmin, writeJson } from './admin-fixture.js'
import { tempDir } from '../market/mesh-fixture.js'

test('admin run restart: a daemon under systemd stops cleanly and exits for systemd to start it again, and comes back with its state', async (t) => {
  const dir = await tempDir(t, 'admin-restart-')
  const admin = await makeAdmin(dir)
  const dataDir = join(dir, 'pi')
  const config = await writeJson(dir, 'pi.json', { name: 'pi', dataDir, open: true, trust: { admin: [admin.publicKey] }, tools: { embedded: { openscad: false, cura: false } } })
  // What systemd sets in a service's environment; the daemon takes it to mean a supervisor restarts it.
  process.env.INVOCATION_ID = 'test'
  const first = await startDaemon(t, ['--config', config]).finally(() => { delete process.env.INVOCATION_ID })
  const drained = await meshnode(['admin', 'run', '--to', 'pi', 'drain', '--key', admin.keyFile, '--data-dir', dataDir])
  assert.equal(drained.code, 0, drained.stderr + drained.stdout)

  const restarted = await meshnode(['admin', 'run', '--to', 'pi', 'restart', '--key', admin.keyFile, '--data-dir', dataDir])
  assert.equal(restarted.code, 0, restarted.stderr + restarted.stdout)
  assert.match(restarted.stdout, /^pi \| restarting$/m)
  const [code] = await once(first.run.child, 'close')
  assert.equal(code, RESTART_EXIT_CODE)

  await startDaemon(t, ['--config', config])
  const status = await meshnode(['admin', 'status', '--json', '--data-dir', dataDir])
  assert.equal(JSON.parse(status.stdout)[0].drained, true, 'drained is kept over the restart')
})
