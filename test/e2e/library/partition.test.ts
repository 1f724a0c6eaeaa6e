import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan, waitFor, type Lan, type MeshNode } from '../../lan/harness.js'
import { peersBefore } from '../faults/faults-helpers.js'

async function cliJson (lan: Lan, node: MeshNode, args: string[]): Promise<any> {
  const run = await lan.runCli(node, [...args, '--json'])
  assert.equal(run.code, 0, `${args.join(' ')} on ${node.name}: ${run.stderr}`)
  return JSON.parse(run.stdout)
}

async function tagsOn (lan: Lan, node: MeshNode, id: string): Promise<string[]> {
  return (await cliJson(lan, node, ['library', 'show', id])).tags
}

test('two peers on a LAN edit an entry\'s tags while their link is cut; once it is back both show the merged tags', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const [east, west] = await lan.startAll(i => ({ mdns: false, args: peersBefore(lan, i) }))
  const design = join(lan.dir, 'hinge.scad')
  writeFileSync(design, 'cube([10, 4, 2]);\n')
  const [{ entry }] = await cliJson(lan, east, ['library', 'add', design, '--tag', 't0', '--tag', 't1', '--tag', 'keep'])
  await waitFor(async () => (await cliJson(lan, west, ['library', 'ls'])).length === 1, { timeoutMs: 60_000, intervalMs: 500, what: 'west to list the entry' })

  lan.cutLink(west)
  // Apart for real: each has dropped the other (a silent connection closes within seconds).
  for (const [node, other] of [[east, west], [west, east]]) {
    await waitFor(async () => !(await lan.peers(node)).some(p => p.peerId === other.peerId), { timeoutMs: 60_000, intervalMs: 500, what: `${node.name} to drop ${other.name}` })
  }
  const onEast = await lan.runCli(east, ['library', 'tag', entry.id, '+a1', '-t0', '-keep'])
  assert.equal(onEast.code, 0, onEast.stderr)
  const onWest = await lan.runCli(west, ['library', 'tag', entry.id, '+b1', '+keep', '-t1'])
  assert.equal(onWest.code, 0, onWest.stderr)
  assert.deepEqual(await tagsOn(lan, east, entry.id), ['a1', 't1'])
  assert.deepEqual(await tagsOn(lan, west, entry.id), ['b1', 'keep', 't0'])

  lan.restoreLink(west)
  for (const node of [east, west]) {
    await waitFor(async () => JSON.stringify(await tagsOn(lan, node, entry.id)) === JSON.stringify(['a1', 'b1', 'keep']), { timeoutMs: 90_000, intervalMs: 500, what: `${node.name} to show the merged tags` })
  }
})
