import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startPeer, stopPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl } from './http-fixture.js'
import { SseReader } from './sse-reader.js'

test('the event stream tells peers joining and leaving; a bad Last-Event-ID is a 400 naming the header', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-events-')
  const desk = await startPeer(t, dir, 'desk')
  const api = httpUrl(desk) + '/api/v1'
  const live = await SseReader.open(`${api}/events`)
  t.after(() => { live.close() })

  const visitor = await startPeer(t, dir, 'visitor')
  const visitorId = visitor.libp2p.peerId.toString()
  await desk.libp2p.dial(visitor.libp2p.getMultiaddrs()[0])
  const joined = await live.until(e => e.type === 'peer' && e.data.peerId === visitorId, 15_000)
  assert.deepEqual([joined.data.change, joined.data.name], ['joined', 'visitor'])
  await stopPeer(visitor)
  const left = await live.until(e => e.type === 'peer' && e.data.peerId === visitorId && e.data.change === 'left', 30_000)
  assert.ok(left.id > joined.id)

  const bad = await fetch(`${api}/events`, { headers: { 'last-event-id': 'yesterday' } })
  assert.equal(bad.status, 400)
  assert.equal(((await bad.json()) as { field: string }).field, 'Last-Event-ID')
})
