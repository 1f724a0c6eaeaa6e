import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { writeAdminKey } from '../../src/admin/admin-key.js'
import { createLan, waitFor } from '../lan/harness.js'
import type { CliResult, Lan, MeshNode } from '../lan/harness.js'

/** What `observer`'s `meshnode peers` says each other node offers, by name. */
async function offersListed (lan: Lan, observer: MeshNode): Promise<Record<string, string[]>> {
  return Object.fromEntries((await lan.peers(observer)).map(p => [p.name, p.offers]))
}

describe('four peers in four namespaces (mDNS, a keyed mesh): admin config push', () => {
  let lan: Lan
  let nodes: MeshNode[]
  let keyFile: string
  const push = async (from: MeshNode, target: string, body: unknown, wait: string): Promise<CliResult> => {
    const file = join(lan.dir, `push-${Date.now()}.json`)
    writeFileSync(file, JSON.stringify(body))
    return lan.runCli(from, ['admin', 'config', 'push', '--to', target, '--key', keyFile, '--wait', wait, file], 90_000)
  }

  before(async () => {
    lan = await createLan(undefined, { size: 4 })
    keyFile = join(lan.dir, 'admin.key')
    const publicKey = await writeAdminKey(keyFile)
    const config = (tags: string[]): string => {
      const file = join(lan.dir, `node-${tags.join('-') || 'plain'}.json`)
      writeFileSync(file, JSON.stringify({ tags, trust: { admin: [publicKey] } }))
      return file
    }
    nodes = await lan.startAll(i => ({ args: ['--config', config(i < 2 ? ['slicers'] : [])] }))
    await Promise.all(nodes.map(async node => waitFor(async () => (await lan.peers(node)).length === 3, { timeoutMs: 60_000, intervalMs: 500, what: `${node.name} to list the other three` })))
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('a config pushed to the tag slicers changes what those two offer, live; peers on another shows it; the others are untouched', async () => {
    const before: Record<string, string[]> = { ...await offersListed(lan, nodes[2]), 'node-2': (await lan.status(nodes[2])).offers }
    assert.ok(before['node-0'].length > 0, 'node-0 offers something to begin with')
    const pushed = await push(nodes[3], 'slicers', { offers: ['none'] }, '60')
    assert.equal(pushed.code, 0, pushed.stderr + pushed.stdout)
    assert.match(pushed.stdout, /node-0 +applied/)
    assert.match(pushed.stdout, /node-1 +applied/)
    const after = await waitFor(async () => {
      const listed = await offersListed(lan, nodes[2])
      return listed['node-0'].length === 0 && listed['node-1'].length === 0 && listed
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'node-2 to list node-0 and node-1 offering nothing' })
    assert.deepEqual(after['node-3'], before['node-3'], 'node-3 is untouched')
    assert.deepEqual((await lan.status(nodes[2])).offers, before['node-2'], 'node-2 is untouched')
  })

  it('a peer that is down during a push gets the document when it comes back, with no admin action', async () => {
    await lan.stop(nodes[1])
    const pushed = await push(nodes[3], 'slicers', { offers: ['scad'] }, '30')
    assert.match(pushed.stdout, /node-0 +applied/)
    await lan.restart(nodes[1])
    await waitFor(async () => JSON.stringify((await offersListed(lan, nodes[2]))['node-1']) === '["scad"]', { timeoutMs: 60_000, intervalMs: 500, what: 'node-2 to list node-1, back, offering only scad' })
    assert.deepEqual((await lan.status(nodes[1])).offers, ['scad'])
  })
})
