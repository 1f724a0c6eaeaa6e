import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeInviteCode, encodeInviteCode, SECRET_BYTES } from '../../src/net/invite-code.js'
import { redeemInvite } from '../../src/net/invite-client.js'
import { Invites } from '../../src/net/invites.js'
import { newMeshKey } from '../../src/net/mesh-key.js'
import { openDb, type MeshDb } from '../../src/store/open-db.js'
import type { TestContext } from 'node:test'

const PEER = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSdDqNW8f5h4Mxc5L69otBgjqXWLqofQgqweFCYqNVZnA'

async function inviter (t: TestContext, dir: string, meshKey: Uint8Array): Promise<{ db: MeshDb, invites: Invites }> {
  const db = await openDb(dir)
  const invites = new Invites({ db, meshKey, addresses: () => [multiaddr(PEER)], listen: ['/ip4/127.0.0.1/tcp/0'] })
  await invites.start()
  t.after(async () => { await invites.stop(); await db.close() })
  return { db, invites }
}

async function dataDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-invite-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('a code hands over the key once: of two joiners racing with it one gets the key, the other hears "used"', async (t) => {
  const meshKey = newMeshKey()
  const { invites } = await inviter(t, await dataDir(t), meshKey)
  const { code } = await invites.create(60_000)
  const results = await Promise.allSettled([redeemInvite(decodeInviteCode(code)), redeemInvite(decodeInviteCode(code))])
  const won = results.filter(r => r.status === 'fulfilled')
  assert.equal(won.length, 1, 'exactly one joiner gets in')
  assert.deepEqual(won[0].value, { meshKey, peers: [PEER] })
  const lost = results.find(r => r.status === 'rejected')
  assert.equal(lost?.reason.name, 'InviteRefusedError')
  assert.equal(lost?.reason.reason, 'used')
})

test('a used code stays used after a restart, and an open one still works on the same port', async (t) => {
  const dir = await dataDir(t)
  const meshKey = newMeshKey()
  const first = await inviter(t, dir, meshKey)
  const used = await first.invites.create(60_000)
  const open = await first.invites.create(60_000)
  await redeemInvite(decodeInviteCode(used.code))
  await first.invites.stop()
  await first.db.close()

  const second = await inviter(t, dir, meshKey)
  assert.ok(second.invites !== first.invites)
  await assert.rejects(redeemInvite(decodeInviteCode(used.code)), { name: 'InviteRefusedError', reason: 'used' })
  assert.deepEqual((await redeemInvite(decodeInviteCode(open.code))).meshKey, meshKey)
})

test('wrong codes are refused, and after ten in a minute every try hears "slow down", even a right one', async (t) => {
  const { invites } = await inviter(t, await dataDir(t), newMeshKey())
  const right = await invites.create(60_000)
  const { addresses, expiresAt } = decodeInviteCode(right.code)
  const wrong = decodeInviteCode(encodeInviteCode({ secret: new Uint8Array(SECRET_BYTES).fill(1), expiresAt, addresses }))
  for (let i = 0; i < 10; i++) await assert.rejects(redeemInvite(wrong), { name: 'InviteRefusedError', reason: 'wrong-code' })
  await assert.rejects(redeemInvite(wrong), { name: 'InviteRefusedError', reason: 'slow-down' })
  await assert.rejects(redeemInvite(decodeInviteCode(right.code)), { name: 'InviteRefusedError', reason: 'slow-down' })
})

test('the listener closes once the last code has expired: the joiner is told the code expired', async (t) => {
  const { invites } = await inviter(t, await dataDir(t), newMeshKey())
  const { code } = await invites.create(1000)
  await new Promise(resolve => setTimeout(resolve, 2100))
  const { port } = decodeInviteCode(code).addresses[0]
  const dialled = new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', reject)
  })
  await assert.rejects(dialled, { code: 'ECONNREFUSED' }, 'nothing listens for joiners any more')
  await assert.rejects(redeemInvite(decodeInviteCode(code)), { name: 'InviteRefusedError', reason: 'expired', message: /expired at/ })
  await assert.rejects(invites.create(10), { name: 'InviteError', message: /1 s to 24 h/ })
})
