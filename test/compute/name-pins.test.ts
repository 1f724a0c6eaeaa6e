import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultConfig } from '../../src/config/node-config.js'
import { trustsRequester } from '../../src/compute/bid-strategies.js'
import { NamePins } from '../../src/compute/name-pins.js'
import { openDb } from '../../src/store/open-db.js'
import { tempDir } from '../market/mesh-fixture.js'
import type { StageSpec } from '../../protocols/market.js'

const printFrom = (requester: string, requesterName: string): StageSpec => ({
  jobId: 'j1', index: 0, attempt: 1, kind: 'print', extra: [], params: new Map(), profile: '', printer: '', material: '', requester, requesterName
})

test('a trusted name stays with the peer first seen under it, across restarts; an imposter taking the name is refused', async (t) => {
  const dir = await tempDir(t, 'meshnode-pins-')
  const config = defaultConfig()
  config.trust.print = ['laptop']

  let db = await openDb(dir)
  let pins = new NamePins(db)
  await pins.load()
  assert.equal(await pins.sighted('laptop', 'peer-A'), true)
  const strategy = trustsRequester(() => config, 'self', (name) => pins.peerFor(name))
  assert.equal(strategy(printFrom('peer-A', 'laptop')), null, 'the pinned peer may send prints')
  assert.equal(await pins.sighted('laptop', 'peer-B'), false, 'a second peer with the same name is not pinned')
  assert.match(strategy(printFrom('peer-B', 'laptop'))?.reason ?? '', /does not take prints from laptop \(peer-B\)/, 'the imposter is refused with a reason naming it')
  await db.close()

  db = await openDb(dir)
  t.after(async () => { await db.close() })
  pins = new NamePins(db)
  await pins.load()
  const after = trustsRequester(() => config, 'self', (name) => pins.peerFor(name))
  assert.equal(after(printFrom('peer-A', 'laptop')), null, 'the pin survives a restart')
  assert.notEqual(after(printFrom('peer-B', 'laptop')), null)
})
