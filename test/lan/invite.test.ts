import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLan, waitFor } from './harness.js'
import type { Lan, MeshNode } from './harness.js'

const OBSERVE_MS = 6000
const SAMPLE_MS = 500

/** `meshnode invite --json` on a running node: the code and the join line. */
async function invite (lan: Lan, node: MeshNode, expires: string): Promise<{ code: string, command: string }> {
  const result = await lan.runCli(node, ['invite', '--expires', expires, '--json'])
  assert.equal(result.code, 0, `invite failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

/** The data dir lan.start() gives a node of this name, so that `join` writes the key where the node will look. */
function dataDirOf (lan: Lan, name: string): string {
  return join(lan.dir, name, 'data')
}

async function peerIds (lan: Lan, node: MeshNode): Promise<string[]> {
  return (await lan.peers(node)).map(p => p.peerId).sort()
}

test('invite and join on a LAN: the invited machine joins; an expired or used code is refused; a machine without a code never connects', async (t) => {
  const lan = await createLan(t, { size: 3 })
  const first = await lan.start(0, { name: 'first', mesh: 'own' })
  const soonExpired = await invite(lan, first, '1s')
  const { code, command } = await invite(lan, first, '10m')
  assert.equal(command, `npx meshnode join ${code}`)

  const joined = await lan.cli(1, ['join', code, '--data-dir', dataDirOf(lan, 'second')])
  assert.equal(joined.code, 0, `join failed: ${joined.stderr}`)
  assert.match(joined.stdout, /joined the mesh/)
  const second = await lan.start(1, { name: 'second', mesh: 'own' })
  await waitFor(async () => (await peerIds(lan, first)).includes(second.peerId ?? '?') && (await peerIds(lan, second)).includes(first.peerId ?? '?'),
    { timeoutMs: 20_000, intervalMs: 250, what: 'the first machine and the one that joined to list each other' })

  const reused = await lan.cli(2, ['join', code, '--data-dir', dataDirOf(lan, 'third')])
  assert.equal(reused.code, 1, 'a used code is refused')
  assert.match(reused.stderr, /^meshnode: this invite code was used already .*a code lets one machine join/)
  const late = await lan.cli(2, ['join', soonExpired.code, '--data-dir', dataDirOf(lan, 'third')])
  assert.equal(late.code, 1, 'an expired code is refused')
  assert.match(late.stderr, /^meshnode: this invite code expired at /)

  // The third machine starts as a fresh one does: it makes a mesh of its own, and mDNS shows it to the others.
  const third = await lan.start(2, { name: 'third', mesh: 'own' })
  const until = Date.now() + OBSERVE_MS
  for (let round = 0; round < OBSERVE_MS / SAMPLE_MS && Date.now() < until; round++) {
    assert.deepEqual(await peerIds(lan, third), [], 'the machine without a code lists no one')
    for (const member of [first, second]) assert.ok(!(await peerIds(lan, member)).includes(third.peerId ?? '?'), `${member.name} never lists the machine without a code`)
    await sleep(SAMPLE_MS)
  }
  assert.deepEqual(await peerIds(lan, first), [second.peerId], 'the mesh is the two machines that share the key')
})
