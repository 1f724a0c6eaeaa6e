import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshLibp2p } from '../../src/net/libp2p.js'

test('two peers on loopback connect, exchange gossip and open a protocol stream', async (t) => {
  const make = async () => createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: { enabled: false, intervalMs: 1000 }
  })
  const a = await make()
  const b = await make()
  t.after(async () => { await a.stop(); await b.stop() })

  await b.handle('/test/echo/1.0.0', async (stream) => {
    for await (const chunk of stream) stream.send(chunk)
    await stream.close()
  })
  a.services.pubsub.subscribe('t')
  b.services.pubsub.subscribe('t')
  await a.dial(b.getMultiaddrs()[0])

  const stream = await a.dialProtocol(b.peerId, '/test/echo/1.0.0')
  stream.send(new TextEncoder().encode('hello'))
  await stream.close()
  let echoed = ''
  for await (const chunk of stream) echoed += new TextDecoder().decode(chunk.subarray())
  assert.equal(echoed, 'hello')

  const got = new Promise<string>((resolve) => {
    b.services.pubsub.addEventListener('message', (evt) => resolve(new TextDecoder().decode(evt.detail.data)))
  })
  const deadline = Date.now() + 10_000
  while (a.services.pubsub.getSubscribers('t').length === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
  await a.services.pubsub.publish('t', new TextEncoder().encode('gossip'))
  assert.equal(await got, 'gossip')
})
