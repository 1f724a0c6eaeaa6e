import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cli, connectAll, makeAdmin, offersSeen, startAdminPeer, writeJson } from './admin-fixture.js'
import { stopPeer, tempDir } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { packageVersion } from '../../src/paths.js'
import type { FleetEntry } from '../../src/admin/fleet-reports.js'

test('a config pushed to the tag "slicers" changes what those peers offer, live; "peers" elsewhere shows it; the others are untouched', async (t) => {
  const dir = await tempDir(t, 'admin-push-')
  const admin = await makeAdmin(dir)
  const slicers = (c: { tags: string[] }): void => { c.tags = ['slicers'] }
  const a = await startAdminPeer(t, dir, 'a', admin, slicers)
  const b = await startAdminPeer(t, dir, 'b', admin, slicers)
  const c = await startAdminPeer(t, dir, 'c', admin)
  const d = await startAdminPeer(t, dir, 'd', admin)
  await connectAll([a, b, c, d])
  const before = c.capabilities.local().offers
  assert.ok(before.includes('slow'))
  assert.deepEqual(offersSeen(d, 'a'), before)

  const file = await writeJson(dir, 'submit-only.json', { offers: ['none'] })
  const pushed = await cli(['admin', 'config', 'push', '--to', 'slicers', '--key', admin.keyFile, '--data-dir', c.config.dataDir, '--wait', '60', file])
  assert.equal(pushed.code, 0, pushed.stderr + pushed.stdout)
  assert.match(pushed.stdout, /a +applied/)
  assert.match(pushed.stdout, /b +applied/)
  assert.doesNotMatch(pushed.stdout, /\bc +applied|\bd +applied/)

  await waitFor(() => offersSeen(d, 'a')?.length === 0 && offersSeen(d, 'b')?.length === 0, { timeoutMs: 30_000, what: 'd to see a and b offer nothing' })
  const listed = await cli(['peers', '--json', '--data-dir', d.config.dataDir])
  const peers = JSON.parse(listed.stdout) as Array<{ name: string, offers: string[] }>
  assert.deepEqual(Object.fromEntries(peers.map(p => [p.name, p.offers])), { a: [], b: [], c: before })
  assert.deepEqual(c.capabilities.local().offers, before)
  assert.deepEqual(d.capabilities.local().offers, before)

  const fleet = await waitFor(async () => {
    const heard = JSON.parse((await cli(['admin', 'status', '--json', '--data-dir', d.config.dataDir])).stdout) as FleetEntry[]
    return heard.filter(n => n.configRevision > 0).map(n => n.name).sort().join() === 'a,b' && heard
  }, { timeoutMs: 30_000, what: 'admin status on d to show a and b on the pushed revision, c and d on their own config' })
  assert.deepEqual(fleet.map(n => n.name).sort(), ['a', 'b', 'c', 'd'])
  for (const node of fleet) {
    assert.equal(node.version, packageVersion(), node.name)
    assert.ok(node.startedAt <= node.heardAt && node.heardAt <= Date.now(), `${node.name} reports its uptime and when it was last heard`)
    assert.deepEqual([node.drained, node.pending], [false, 0], node.name)
  }
})

test('a peer that was down during a push gets the document from a peer when it comes back, with no admin action', async (t) => {
  const dir = await tempDir(t, 'admin-away-')
  const admin = await makeAdmin(dir)
  const a = await startAdminPeer(t, dir, 'a', admin)
  const b = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['slicers'] })
  await connectAll([a, b])
  await stopPeer(b)

  const file = await writeJson(dir, 'submit-only.json', { offers: ['none'] })
  const before = a.capabilities.local().offers
  const pushed = await cli(['admin', 'config', 'push', '--to', 'slicers', '--key', admin.keyFile, '--data-dir', a.config.dataDir, '--wait', '0', file])
  assert.equal(pushed.code, 0, pushed.stderr)
  assert.deepEqual(a.capabilities.local().offers, before, 'a is not a slicer')

  const back = await startAdminPeer(t, dir, 'b', admin, c => { c.tags = ['slicers']; c.peers = [a.libp2p.getMultiaddrs()[0].toString()] })
  await waitFor(() => back.capabilities.local().offers.length === 0, { timeoutMs: 60_000, what: 'b, back, to apply the pushed config' })
  await waitFor(() => offersSeen(a, 'b')?.length === 0, { timeoutMs: 30_000, what: 'a to see b offer nothing' })
  const log = await back.api.call('admin.log', {}, { emit: () => {}, signal: new AbortController().signal, caller: { kind: 'owner' } }) as Array<{ decision: string, from: string }>
  assert.ok(log.some(e => e.decision === 'applied'), JSON.stringify(log))
  assert.ok(log.some(e => e.decision === 'accepted' && e.from === a.libp2p.peerId.toString()), 'the document came from a')
})
