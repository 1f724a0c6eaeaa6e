import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, afterEach, before, describe, it } from 'node:test'
import { DAEMON_FLAGS } from '../../src/node/daemon-flags.js'
import { createLan, waitFor } from './harness.js'
import type { Lan, MeshNode, NodeStatus, PeerEntry } from './harness.js'

/** What a peer list says about `node`, in the fields a user compares with that node's own status. */
function capabilitiesOf (entry: PeerEntry | NodeStatus): unknown {
  return { peerId: entry.peerId, name: entry.name, offers: entry.offers, tools: entry.tools, printers: entry.printers }
}

/** Resolves once `observer` lists exactly the peers with ids `expected` (order aside); returns its list. */
async function waitForPeerIds (lan: Lan, observer: MeshNode, expected: string[], timeoutMs: number): Promise<PeerEntry[]> {
  const want = [...expected].sort()
  return waitFor(async () => {
    const peers = await lan.peers(observer)
    const got = peers.map(p => p.peerId).sort()
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`it lists [${peers.map(p => p.name).join(', ')}]`)
    return peers
  }, { timeoutMs, intervalMs: 250, what: `${observer.name} to list exactly ${want.length} peers ${want.join(', ')}` })
}

/** A precondition: a test that a node is dropped means nothing unless everyone listed it first. */
async function waitUntilAllList (lan: Lan, observers: MeshNode[], node: MeshNode): Promise<void> {
  await Promise.all(observers.map(async observer => waitFor(async () => (await lan.peers(observer)).some(p => p.peerId === node.peerId),
    { timeoutMs: 20_000, intervalMs: 250, what: `${observer.name} to list ${node.name} before the test acts on it` })))
}

function peerId (node: MeshNode): string {
  assert.ok(node.peerId !== undefined, `${node.name} has reported its peer id`)
  return node.peerId
}

describe('five peers in five namespaces with mDNS', () => {
  let lan: Lan
  let nodes: MeshNode[]
  const statuses = new Map<string, NodeStatus>()

  before(async () => {
    lan = await createLan(undefined, { size: 5 })
    // node-0 offers only scad, node-1 only submits: the others must see exactly that.
    nodes = await lan.startAll((i) => ({ args: i === 0 ? ['--offer', 'scad'] : i === 1 ? ['--offer', 'none'] : [] }))
    for (const node of nodes) statuses.set(node.name, await lan.status(node))
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('each lists the other four with the capabilities they report themselves', async () => {
    for (const observer of nodes) {
      const others = nodes.filter(n => n !== observer)
      const listed = await waitForPeerIds(lan, observer, others.map(peerId), 20_000)
      for (const other of others) {
        const entry = listed.find(p => p.peerId === other.peerId)
        const own = statuses.get(other.name)
        assert.ok(entry !== undefined && own !== undefined)
        assert.deepEqual(capabilitiesOf(entry), capabilitiesOf(own), `${observer.name} sees ${other.name} as it describes itself`)
        assert.ok(entry.addresses.some(a => a.includes(`/ip4/${other.ns.address}/`)), `${observer.name} knows ${other.name}'s LAN address: ${entry.addresses.join(' ')}`)
      }
    }
  })

  it('every peer runs under the V8 flags peers ship with, in the process that was started', () => {
    for (const node of nodes) {
      const argv = readFileSync(`/proc/${node.process.pid}/cmdline`, 'utf8').split('\0')
      for (const flag of DAEMON_FLAGS) assert.ok(argv.includes(flag), `${node.name} runs as ${argv.join(' ')}`)
    }
  })

  it('--offer scad is what the other peers see for that node', async () => {
    const [scadOnly, submitOnly] = nodes
    assert.ok(scadOnly !== undefined && submitOnly !== undefined)
    assert.deepEqual(statuses.get(scadOnly.name)?.offers, ['scad'])
    assert.deepEqual(statuses.get(submitOnly.name)?.offers, [])
    assert.notDeepEqual(statuses.get(nodes[2]?.name ?? '')?.offers, ['scad'], 'without --offer a node offers all it can run, so the flag made the difference')
    for (const observer of nodes.slice(1)) {
      const peers = await lan.peers(observer)
      assert.deepEqual(peers.find(p => p.peerId === scadOnly.peerId)?.offers, ['scad'], `${observer.name} sees node-0 offer only scad`)
    }
    for (const observer of nodes.filter(n => n !== submitOnly)) {
      const peers = await lan.peers(observer)
      assert.deepEqual(peers.find(p => p.peerId === submitOnly.peerId)?.offers, [], `${observer.name} sees node-1 offer nothing`)
    }
  })

  it('kill -9 of one: the others drop it within 10 s', async () => {
    const victim = nodes[4]
    assert.ok(victim !== undefined)
    const survivors = nodes.filter(n => n !== victim)
    await waitUntilAllList(lan, survivors, victim)
    await lan.kill9(victim)
    const killedAt = Date.now()
    await Promise.all(survivors.map(async (observer) => waitFor(async () => {
      const peers = await lan.peers(observer)
      return !peers.some(p => p.peerId === victim.peerId)
    }, { timeoutMs: 10_000 - (Date.now() - killedAt), intervalMs: 250, what: `${observer.name} to drop the killed ${victim.name} within 10 s of kill -9` })))
  })

  it('restarted on the same data dir, it comes back with the same peer id and everyone lists it again', async () => {
    const victim = nodes[4]
    assert.ok(victim !== undefined)
    const before = peerId(victim)
    const status = await lan.restart(victim)
    assert.equal(status.peerId, before, 'the same peer id after a restart')
    for (const observer of nodes) {
      await waitForPeerIds(lan, observer, nodes.filter(n => n !== observer).map(peerId), 20_000)
    }
  })

  it('a node whose cable is pulled is dropped, and listed again once it is plugged back in', async () => {
    const unplugged = nodes[2]
    assert.ok(unplugged !== undefined)
    const others = nodes.filter(n => n !== unplugged)
    await waitUntilAllList(lan, others, unplugged)
    lan.cutLink(unplugged)
    try {
      for (const observer of others) {
        await waitFor(async () => !(await lan.peers(observer)).some(p => p.peerId === unplugged.peerId),
          { timeoutMs: 15_000, intervalMs: 250, what: `${observer.name} to drop ${unplugged.name} after its cable was pulled` })
      }
    } finally {
      lan.restoreLink(unplugged)
    }
    for (const observer of nodes) {
      await waitForPeerIds(lan, observer, nodes.filter(n => n !== observer).map(peerId), 20_000)
    }
  })

  it('SIGTERM stops a node with exit code 0 and the others drop it', async () => {
    const leaving = nodes[3]
    assert.ok(leaving !== undefined)
    await waitUntilAllList(lan, nodes.filter(n => n !== leaving), leaving)
    const status = await lan.stop(leaving)
    assert.equal(status.code, 0)
    for (const observer of nodes.filter(n => n !== leaving)) {
      await waitFor(async () => !(await lan.peers(observer)).some(p => p.peerId === leaving.peerId),
        { timeoutMs: 10_000, intervalMs: 250, what: `${observer.name} to drop ${leaving.name} after it stopped` })
    }
  })
})
