import assert from 'node:assert/strict'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { jobEnded, startPeer, tempDir, unsandboxed } from './mesh-fixture.js'
import { waitFor } from '../lan/wait.js'

const JOBS = 4

test('a peer runs no more tools than its slots, and readies its next stage (folder, input, confirmation) while a tool runs', async (t) => {
  const dir = await tempDir(t, 'meshnode-slots-')
  // The tool notes two tools at once (mkdir is atomic), and, as it ends, which other stages' folders hold their
  // input by then: it looks outside its own job folder, so it runs without the sandbox.
  const script = join(dir, 'probe.sh')
  await writeFile(script, [
    '#!/bin/sh',
    `mkdir "${join(dir, 'tool.lock')}" 2>/dev/null || echo overlap >> "${join(dir, 'overlaps')}"`,
    'sleep 0.3',
    `ls "$(dirname "$(pwd)")"/*/input.txt | grep -v "^$(pwd)/" | wc -l >> "${join(dir, 'ready')}"`,
    'cp "$1" "$2"',
    `rmdir "${join(dir, 'tool.lock')}"`
  ].join('\n') + '\n')
  await chmod(script, 0o755)
  const probe = parseServiceConfig({ name: 'probe', command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]')
  const requester = await startPeer(t, dir, 'requester', c => { c.services = [probe]; c.offers = [] })
  const executor = await startPeer(t, dir, 'executor', c => { c.services = [probe]; c.market.maxConcurrent = 1; unsandboxed(c) })
  await requester.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
  await waitFor(async () => requester.capabilities.peers().some(p => p.record.offers.includes('probe')), { timeoutMs: 10_000, what: 'the requester to see the executor' })

  const files: string[] = []
  for (let i = 0; i < JOBS; i++) {
    files.push(join(dir, `part-${i}.txt`))
    await writeFile(files[i], `part ${i}\n`)
  }
  const jobs = await requester.jobs.submit({ files, extra: [], pipeline: ['probe'], options: { params: {} } })
  for (const job of jobs) {
    const ended = await jobEnded(requester, job.id, 60_000)
    assert.equal(ended.state, 'done', ended.error)
  }
  assert.equal(await readFile(join(dir, 'overlaps'), 'utf8').catch(() => ''), '', 'two tools ran at once on a peer with one slot')
  const ready = (await readFile(join(dir, 'ready'), 'utf8')).trim().split('\n').map(Number)
  assert.equal(ready.length, JOBS, 'each stage ran its tool once')
  // The stages queue behind the first: while each but the last runs, the next one is set up and waits for the slot.
  assert.ok(ready.slice(0, -1).every(n => n >= 1), `stages ready beside each run: ${ready.join(', ')}`)
})
