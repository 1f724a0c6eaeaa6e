import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sealDocument, type NewDocument } from '../../src/admin/admin-document.js'
import { readAdminKey } from '../../src/admin/admin-key.js'
import { OWNER } from '../../src/api/caller.js'
import { SignedAdminDocument } from '../../protocols/admin.js'
import { cli, makeAdmin, startAdminPeer, writeJson } from './admin-fixture.js'
import { tempDir } from '../market/mesh-fixture.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import { ADMIN_TOPIC } from '../../src/admin/constants.js'
import { waitFor } from '../lan/wait.js'

const ctx = { emit: () => {}, signal: new AbortController().signal, caller: OWNER }

async function publish (node: MeshNode, bytes: Uint8Array): Promise<{ decision: string, reason?: string }> {
  return node.api.call('admin.publish', { document: Buffer.from(bytes).toString('base64') }, ctx) as any
}

const config = (revision: number, body: unknown, expiresAt = Date.now() + 3600_000): NewDocument => ({ kind: 'config', target: { all: true, names: [] }, revision, expiresAt, body })

test('forged documents (unsigned, another key, an old revision replayed, expired) are refused and logged; the node keeps its config', async (t) => {
  const dir = await tempDir(t, 'admin-forged-')
  const admin = await makeAdmin(dir)
  const stranger = await readAdminKey((await makeAdmin(dir, 'stranger.key')).keyFile)
  const signer = await readAdminKey(admin.keyFile)
  const node = await startAdminPeer(t, dir, 'n', admin)

  assert.equal((await publish(node, sealDocument(config(10, { market: { maxConcurrent: 3 } }), signer))).decision, 'accepted')
  assert.equal(node.config.market.maxConcurrent, 3)

  const good = SignedAdminDocument.decode(sealDocument(config(11, { market: { maxConcurrent: 7 } }), signer))
  const forgeries: Array<[string, Uint8Array, RegExp]> = [
    ['unsigned', SignedAdminDocument.encode({ ...good, signature: new Uint8Array(0) }), /unsigned/],
    ['another key', sealDocument(config(12, { market: { maxConcurrent: 7 } }), stranger), /does not list/],
    ['an old revision replayed', sealDocument(config(9, { market: { maxConcurrent: 7 } }), signer), /revision 9 is not newer than revision 10/],
    ['expired', sealDocument(config(13, { market: { maxConcurrent: 7 } }, Date.now() - 1000), signer), /expired/]
  ]
  for (const [what, bytes, reason] of forgeries) {
    const taken = await publish(node, bytes)
    assert.equal(taken.decision, 'refused', what)
    assert.match(taken.reason ?? '', reason, what)
  }
  assert.equal(node.config.market.maxConcurrent, 3, 'the config applied before the forgeries runs on')
  const log = await node.api.call('admin.log', {}, ctx) as Array<{ decision: string, reason?: string }>
  assert.deepEqual(log.map(e => e.decision), ['accepted', 'applied', 'refused', 'refused', 'refused', 'refused'])
})

test('a config with a bad field is rejected naming the field, and the node runs on with the config it had', async (t) => {
  const dir = await tempDir(t, 'admin-bad-field-')
  const admin = await makeAdmin(dir)
  const node = await startAdminPeer(t, dir, 'n', admin)
  const offers = node.capabilities.local().offers

  for (const [body, field] of [[{ market: { maxConcurrent: 0 } }, 'market.maxConcurrent'], [{ name: 'other' }, 'name'], [{ offers: ['slow'], tpyo: 1 }, 'tpyo']] as const) {
    const file = await writeJson(dir, 'bad.json', body)
    const pushed = await cli(['admin', 'config', 'push', '--to', 'n', '--key', admin.keyFile, '--data-dir', node.config.dataDir, '--wait', '60', file])
    assert.equal(pushed.code, 1, pushed.stdout + pushed.stderr)
    assert.match(pushed.stdout, new RegExp(`n +rejected: config field "${field}"`))
  }
  assert.deepEqual(node.capabilities.local().offers, offers)
  assert.equal(node.config.name, 'n')
  const status = await cli(['admin', 'status', '--data-dir', node.config.dataDir])
  assert.match(status.stdout, /own config, rejected \d+: config field "tpyo"/)
})

test('a forged document on gossip is refused and logged by the first node and goes no further; a signed one crosses the same line', async (t) => {
  const dir = await tempDir(t, 'admin-gossip-')
  const admin = await makeAdmin(dir)
  const stranger = await readAdminKey((await makeAdmin(dir, 'stranger.key')).keyFile)
  const a = await startAdminPeer(t, dir, 'a', admin)
  const b = await startAdminPeer(t, dir, 'b', admin)
  const c = await startAdminPeer(t, dir, 'c', admin)
  // A line: a - b - c.
  await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
  await b.libp2p.dial(c.libp2p.getMultiaddrs()[0])
  await waitFor(() => b.libp2p.services.pubsub.getSubscribers(ADMIN_TOPIC).length === 2 && a.libp2p.services.pubsub.getSubscribers(ADMIN_TOPIC).length === 1, { timeoutMs: 30_000, what: 'the admin topic to span the line' })

  await a.libp2p.services.pubsub.publish(ADMIN_TOPIC, sealDocument(config(1, { market: { maxConcurrent: 9 } }), stranger))
  const logOf = async (node: MeshNode): Promise<Array<{ decision: string, from: string, reason?: string }>> => node.api.call('admin.log', {}, ctx) as any
  const refused = await waitFor(async () => (await logOf(b)).find(e => e.decision === 'refused'), { timeoutMs: 30_000, what: 'b to refuse the forged document' })
  assert.equal(refused.from, a.libp2p.peerId.toString())
  assert.match(refused.reason ?? '', /does not list/)

  await a.libp2p.services.pubsub.publish(ADMIN_TOPIC, sealDocument(config(2, { market: { maxConcurrent: 4 } }), await readAdminKey(admin.keyFile)))
  await waitFor(() => c.config.market.maxConcurrent === 4, { timeoutMs: 30_000, what: 'c to apply the signed document' })
  assert.deepEqual((await logOf(c)).map(e => e.decision), ['accepted', 'applied'], 'c never saw the forged one')
  assert.equal(b.config.market.maxConcurrent, 4)
})
