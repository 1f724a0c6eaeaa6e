import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SILENT_AFTER_MS, turnOf, type Rollout } from '../../src/admin/update-turn.js'
import type { FleetEntry } from '../../src/admin/fleet-reports.js'

const rollout: Rollout = { revision: 7, target: { all: false, names: ['fleet'] }, parallel: 2 }
const now = 1_000_000

function node (peerId: string, updateState: string, extra: Partial<FleetEntry> = {}): FleetEntry {
  return { peerId, name: `n-${peerId}`, tags: ['fleet'], version: '1.0.0', configRevision: 0, rejectedRevision: 0, rejectedReason: '', startedAt: 0, drained: false, pending: 0, sentAt: now, services: [], serviceOutcomes: [], updateState, updateRevision: 7, updateVersion: '2.0.0', updateReason: updateState === 'rolled-back' ? 'not healthy' : '', heardAt: now, self: false, ...extra }
}

/** Each node's answer, from the same reports, as each would see them (itself marked self). */
function goers (fleet: FleetEntry[]): string[] {
  return fleet.filter(me => { const turn = turnOf(rollout, fleet.map(e => ({ ...e, self: e.peerId === me.peerId })), now); return 'go' in turn && turn.go }).map(e => e.peerId)
}

test('the waiting nodes agree: the first by peer id go, as many as the parallel limit leaves free', () => {
  assert.deepEqual(goers([node('d', 'waiting'), node('b', 'waiting'), node('a', 'waiting'), node('c', 'waiting')]), ['b', 'a'])
  assert.deepEqual(goers([node('a', 'trying'), node('b', 'waiting'), node('c', 'waiting')]), ['b'])
  assert.deepEqual(goers([node('a', 'trying'), node('b', 'restarting'), node('c', 'waiting')]), [])
  // Done, busy printing or not in this rollout: not in the way.
  assert.deepEqual(goers([node('a', 'updated'), node('b', 'waiting-for-print'), node('c', 'waiting', { updateRevision: 6 }), node('d', 'waiting'), node('e', 'waiting')]), ['d', 'e'])
  // Not a target, or waiting but silent for long (it left): not counted.
  const quiet = [node('a', 'trying', { tags: [] }), node('b', 'waiting', { heardAt: now - SILENT_AFTER_MS - 1 }), node('c', 'waiting'), node('d', 'waiting')]
  assert.deepEqual(goers(quiet).filter(id => id !== 'b'), ['c', 'd'])
})

test('a node that rolled back, could not install or went quiet mid-update stops the rollout for every node still waiting', () => {
  const fleet = [node('a', 'rolled-back'), node('b', 'waiting', { self: true })]
  assert.deepEqual(turnOf(rollout, fleet, now), { halt: 'n-a rolled back: not healthy' })
  assert.match(JSON.stringify(turnOf(rollout, [node('a', 'failed'), node('b', 'waiting', { self: true })], now)), /could not install it/)
  // A node that went quiet in the middle of its update never came back from it.
  assert.match(JSON.stringify(turnOf(rollout, [node('a', 'restarting', { heardAt: now - SILENT_AFTER_MS - 1 }), node('b', 'waiting', { self: true })], now)), /n-a has not been heard from since its update began/)
})
