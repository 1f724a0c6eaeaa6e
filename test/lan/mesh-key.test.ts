import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLan, waitFor } from './harness.js'
import type { Lan } from './harness.js'

const OBSERVE_MS = 6_000
const SAMPLE_MS = 500
const MAX_ROUNDS = 20
/**
 * libp2p's own debug log of each TCP connection's upgrade: "pnet exchanged nonces" when a private-network
 * handshake was tried, "successfully upgraded" when a connection came up. The words are libp2p's; if they
 * change, the "was tried" assertion fails rather than this test passing unnoticed.
 */
const CONNECTION_DEBUG = 'libp2p:tcp:connection*'

async function keygen (lan: Lan, file: string): Promise<void> {
  const result = await lan.cli(0, ['keygen', file])
  assert.equal(result.code, 0, `meshnode keygen failed: ${result.stderr}`)
}

test('a peer with another mesh key is never listed and never connected', async (t) => {
  const lan = await createLan(t, { size: 4 })
  const meshKey = join(lan.dir, 'mesh.key')
  const otherKey = join(lan.dir, 'other.key')
  await keygen(lan, meshKey)
  await keygen(lan, otherKey)
  const nodes = await lan.startAll((i) => ({
    args: ['--mesh-key', i === 3 ? otherKey : meshKey],
    env: i === 3 ? { ...process.env, DEBUG: CONNECTION_DEBUG } : undefined
  }))
  const members = nodes.slice(0, 3)
  const stranger = nodes[3]
  assert.ok(stranger !== undefined)

  for (const observer of members) {
    const want = members.filter(n => n !== observer).map(n => n.peerId).sort()
    await waitFor(async () => JSON.stringify((await lan.peers(observer)).map(p => p.peerId).sort()) === JSON.stringify(want),
      { timeoutMs: 20_000, intervalMs: 250, what: `${observer.name} to list the two other members` })
  }

  // mDNS keeps announcing the stranger and the members keep trying it; watch a while that nothing comes of it.
  const until = Date.now() + OBSERVE_MS
  for (let round = 0; round < MAX_ROUNDS && Date.now() < until; round++) {
    await Promise.all([
      lan.peers(stranger).then(peers => { assert.deepEqual(peers.map(p => p.name), [], 'the stranger lists no one') }),
      ...members.map(async member => {
        const peers = await lan.peers(member)
        assert.ok(!peers.some(p => p.peerId === stranger.peerId), `${member.name} never lists the stranger`)
      })
    ])
    await sleep(SAMPLE_MS)
  }
  const log = readFileSync(stranger.process.stderrPath, 'utf8')
  assert.match(log, /pnet exchanged nonces/, 'the stranger and the members did try to connect (so "never connected" means something)')
  assert.doesNotMatch(log, /successfully upgraded/, 'no connection between the stranger and a member ever came up')
  for (const node of nodes) assert.equal(node.process.exitStatus, undefined, `${node.name} still runs`)
})
