import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { waitFor } from '../lan/wait.js'
import { meshnode, startDaemon } from '../cli/host-daemon.js'
import type { ToolProbeReport } from '../../src/capabilities/tools.js'

interface Status {
  offers: string[]
  tools: Array<{ stage: string, name: string, version: string, embedded: boolean }>
  toolProbes: ToolProbeReport[]
}

test('a native tool too slow to answer its first probes is offered once it answers, without a restart, and status says why until then', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-probe-retry-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  // A loaded machine: the first two `openscad --version` take longer than the probe waits, later ones answer.
  const runs = join(dir, 'runs')
  const tool = join(dir, 'openscad')
  await writeFile(tool, `#!/bin/sh\necho run >> ${runs}\nif [ "$(wc -l < ${runs})" -le 2 ]; then exec sleep 30; fi\necho "OpenSCAD version 2021.01" >&2\n`)
  await chmod(tool, 0o755)
  const config = join(dir, 'node.json')
  await writeFile(config, JSON.stringify({ tools: { openscad: tool, prusaSlicer: false, slic3r: false, curaEngine: false, embedded: { openscad: false, cura: false } } }))
  // Open meshes: two data dirs would otherwise make two keys, and this test is about the tool, not the key.
  const renderer = join(dir, 'renderer')
  const { address } = await startDaemon(t, ['--config', config, '--data-dir', renderer, '--name', 'renderer', '--open'])
  const other = join(dir, 'other')
  await startDaemon(t, ['--data-dir', other, '--name', 'other', '--offer', 'none', '--peer', address, '--open'])
  const status = async (): Promise<Status> => {
    const result = await meshnode(['status', '--json', '--data-dir', renderer])
    assert.equal(result.code, 0, result.stderr)
    return JSON.parse(result.stdout) as Status
  }

  const before = await status()
  const probe = before.toolProbes.find(p => p.tool === 'openscad')
  assert.equal(probe?.state, 'failed', 'the first probe failed')
  assert.match(probe?.reason ?? '', /did not answer within 2\.5 s/, 'status says why')
  assert.ok(probe?.nextAttemptAt != null, 'and that it will try again')
  assert.deepEqual(before.offers, [], 'nothing is offered yet')
  const text = await meshnode(['status', '--data-dir', renderer])
  assert.match(text.stdout, /no tool\s+\S*openscad: .*did not answer within 2\.5 s \(try [12]\); trying again in \d+ s/)

  const after = await waitFor(async () => {
    const now = await status()
    return now.toolProbes.find(p => p.tool === 'openscad')?.state === 'found' ? now : undefined
  }, { timeoutMs: 40_000, intervalMs: 500, what: 'the renderer to find openscad' })
  assert.deepEqual(after.tools.map(tl => `${tl.stage}:${tl.name} ${tl.version}${tl.embedded ? ' (embedded)' : ''}`), ['scad:openscad 2021.01'])
  assert.deepEqual(after.offers, ['scad'])
  assert.equal(after.toolProbes.find(p => p.tool === 'openscad')?.attempts, 3, 'found on the third try')
  assert.equal((await readFile(runs, 'utf8')).trim().split('\n').length, 3)

  await waitFor(async () => {
    const result = await meshnode(['peers', '--json', '--data-dir', other])
    const peers = JSON.parse(result.stdout) as Array<{ name: string, offers: string[] }>
    return peers.some(p => p.name === 'renderer' && p.offers.includes('scad'))
  }, { timeoutMs: 20_000, intervalMs: 500, what: 'the other peer to see the renderer offer scad' })
})
