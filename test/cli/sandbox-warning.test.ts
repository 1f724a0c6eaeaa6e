import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { SANDBOX_OFF_WARNING } from '../../src/cli/start.js'
import { createLan, waitFor } from '../lan/harness.js'

const warnings = (path: string): number => readFileSync(path, 'utf8').split(SANDBOX_OFF_WARNING).length - 1

test('a node with tools.sandbox false says so on stderr at every start; with the sandbox on it says nothing', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const off = join(lan.dir, 'off.json')
  writeFileSync(off, JSON.stringify({ tools: { sandbox: false } }))
  const [open, walled] = await lan.startAll(i => ({ args: i === 0 ? ['--config', off, '--no-mdns'] : ['--no-mdns'] }))
  await waitFor(async () => warnings(open.process.stderrPath) === 1, { timeoutMs: 10_000, intervalMs: 50, what: 'the warning at the first start' })
  await lan.restart(open)
  await waitFor(async () => warnings(open.process.stderrPath) === 2, { timeoutMs: 10_000, intervalMs: 50, what: 'the warning again at the restart' })
  await waitFor(async () => readFileSync(walled.process.stdoutPath, 'utf8').includes('ready\n'), { timeoutMs: 10_000, intervalMs: 50, what: 'the sandboxed node\'s banner' })
  assert.match(readFileSync(walled.process.stdoutPath, 'utf8'), /sandbox {4}on; each tool run may use \d+ MiB/)
  assert.equal(warnings(walled.process.stderrPath), 0)
})
