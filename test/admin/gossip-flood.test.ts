import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { sealDocument, type NewDocument } from '../../src/admin/admin-document.js'
import { readAdminKey } from '../../src/admin/admin-key.js'
import { ADMIN_TOPIC } from '../../src/admin/constants.js'
import { OWNER } from '../../src/api/caller.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/net/libp2p.js'
import { waitFor } from '../lan/wait.js'
import { tempDir } from '../market/mesh-fixture.js'
import { makeAdmin, startAdminPeer } from './admin-fixture.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

const ctx = { emit: () => {}, signal: new AbortController().signal, caller: OWNER }
/** The score `node` gives `peer`; gossipsub's public type omits it. */
function scoreOf (node: MeshNode, peer: MeshLibp2p | MeshNode): number {
  const libp2p = 'libp2p' in peer ? peer.libp2p : peer
  return (node.libp2p.services.pubsub as unknown as { getScore(id: string): number }).getScore(libp2p.peerId.toString())
}

const config = (revision: number, maxConcurrent: number): NewDocument => ({ kind: 'config', target: { all: true, names: [] }, revision, expiresAt: Date.now() + 3600_000, body: { market: { maxConcurrent } } })

async function logOf (node: MeshNode): Promise<Array<{ decision: string, from: string }>> {
  return node.api.call('admin.log', {}, ctx) as any
}

/** A bare libp2p peer, without a guard of its own, on the admin topic of `node`. */
async function flooderOn (t: TestContext, node: MeshNode): Promise<MeshLibp2p> {
  const flooder = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
  t.after(async () => { await flooder.stop() })
  flooder.services.pubsub.subscribe(ADMIN_TOPIC)
  await flooder.dial(node.libp2p.getMultiaddrs()[0])
  await waitFor(() => flooder.services.pubsub.getSubscribers(ADMIN_TOPIC).length > 0, { timeoutMs: 10_000, what: 'the flooder to see the node on the admin topic' })
  return flooder
}

/** Below this score gossipsub ignores everything a peer sends (the node's graylist threshold). */
const GRAYLISTED = -400

/** Whether the node has cut the flooder off: hung up on it, or scored it so low that gossipsub ignores it. */
function cutOff (node: MeshNode, flooder: MeshLibp2p): boolean {
  return node.libp2p.getConnections(flooder.peerId).length === 0 || scoreOf(node, flooder) < GRAYLISTED
}

/** Publishes up to `count` messages, a few milliseconds apart, until the node cuts the flooder off; returns how many went. */
async function flood (flooder: MeshLibp2p, node: MeshNode, count: number, message: (i: number) => Uint8Array): Promise<number> {
  let sent = 0
  for (; sent < count && !cutOff(node, flooder); sent++) {
    await flooder.services.pubsub.publish(ADMIN_TOPIC, message(sent)).catch(() => {})
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  return sent
}

test('peers flooding the admin topic with junk, forged documents or a replayed one are cut off at the first node; it obeys the next valid document', async (t) => {
  const dir = await tempDir(t, 'admin-flood-')
  const admin = await makeAdmin(dir)
  const signer = await readAdminKey(admin.keyFile)
  const stranger = await readAdminKey((await makeAdmin(dir, 'stranger.key')).keyFile)
  const node = await startAdminPeer(t, dir, 'node', admin)
  const honest = await startAdminPeer(t, dir, 'honest', admin)
  await honest.libp2p.dial(node.libp2p.getMultiaddrs()[0])
  await waitFor(() => honest.libp2p.services.pubsub.getSubscribers(ADMIN_TOPIC).length === 1, { timeoutMs: 30_000, what: 'the honest peer to see the node on the admin topic' })
  const first = sealDocument(config(1, 3), signer)
  assert.equal((await honest.api.call('admin.publish', { document: Buffer.from(first).toString('base64') }, ctx) as { decision: string }).decision, 'accepted')
  await waitFor(() => node.config.market.maxConcurrent === 3, { timeoutMs: 30_000, what: 'the node to apply the first document' })

  const forger = await flooderOn(t, node)
  const forged = await flood(forger, node, 400, i => i % 2 === 0 ? new TextEncoder().encode(`junk ${i}`) : sealDocument(config(100 + i, 1), stranger))
  const replayer = await flooderOn(t, node)
  // A copy of a document the node holds is sound and goes nowhere: only the topic's rate stops a peer that repeats it.
  const replayed = await flood(replayer, node, 400, () => first)

  // Which comes first depends on the timing: the guard hangs up at its 50th strike, and gossipsub stops listening
  // once a heartbeat has scored the peer below its graylist (the penalty grows with the square of the rejections).
  assert.ok(forged < 400 && replayed < 400, `the node cut both flooders off (after ${forged} and ${replayed} messages)`)
  // A hang-up alone would not keep a flooder away: the node's dialer calls every lost peer back within a second.
  const hungUp = [forger, replayer].filter(f => node.libp2p.getConnections(f.peerId).length === 0)
  for (const flooder of hungUp) {
    await waitFor(() => flooder.getConnections(node.libp2p.peerId).length === 0, { timeoutMs: 10_000, what: 'the flooder to see the hang-up' })
    // The node refuses the connection once the flooder's key is known, which may be after the dialler's side is up.
    await flooder.dial(node.libp2p.getMultiaddrs()[0]).catch(() => {})
  }
  await new Promise(resolve => setTimeout(resolve, 3000))
  assert.deepEqual(hungUp.map(f => node.libp2p.getConnections(f.peerId).length + f.getConnections(node.libp2p.peerId).length), hungUp.map(() => 0),
    'no flooder hung up on got back in, and the node did not call one back')
  assert.ok(replayed > 100, `the replayer's copies within the topic's burst passed (${replayed} sent)`)
  const refused = (await logOf(node)).filter(e => e.decision === 'refused')
  assert.ok(refused.length > 0 && refused.length <= 50, `the node logged ${refused.length} refusals`)
  assert.ok(refused.every(e => e.from === forger.peerId.toString()))
  assert.ok(scoreOf(node, honest) >= 0, 'the honest peer keeps its score')

  await honest.api.call('admin.publish', { document: Buffer.from(sealDocument(config(2, 5), signer)).toString('base64') }, ctx)
  await waitFor(() => node.config.market.maxConcurrent === 5, { timeoutMs: 30_000, what: 'the node to apply the next valid document' })
  assert.deepEqual((await logOf(honest)).map(e => e.decision), ['accepted', 'applied', 'accepted', 'applied'], 'none of the flood reached the honest peer')
})
