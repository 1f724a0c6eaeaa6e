import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/net/libp2p.js'

async function peer (): Promise<MeshLibp2p> {
  return createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
}

/** A TCP relay on loopback whose `freeze()` stops carrying bytes without closing anything: a pulled cable. */
async function relay (to: { host: string, port: number }): Promise<{ port: number, freeze: () => void, close: () => void }> {
  const sockets: Socket[] = []
  const server = createServer((inbound) => {
    const outbound = connect(to.port, to.host)
    sockets.push(inbound, outbound)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
    const end = (): void => { inbound.destroy(); outbound.destroy() }
    inbound.on('error', end)
    outbound.on('error', end)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => { for (const s of sockets) { s.unpipe(); s.pause() } },
    close: () => { for (const s of sockets) s.destroy(); server.close() }
  }
}

test('a connected peer gets a round-trip time; when the link goes silent the connection is closed within 8 s', async (t) => {
  const a = await peer()
  const b = await peer()
  const bPort = Number(/\/tcp\/(\d+)/.exec(b.getMultiaddrs()[0].toString())?.[1])
  const cable = await relay({ host: '127.0.0.1', port: bPort })
  t.after(async () => { cable.close(); await a.stop(); await b.stop() })

  const connection = await a.dial(multiaddr(`/ip4/127.0.0.1/tcp/${cable.port}/p2p/${b.peerId.toString()}`))
  await new Promise(resolve => setTimeout(resolve, 2500))
  assert.equal(connection.status, 'open')
  assert.equal(typeof connection.rtt, 'number', 'the heartbeat measured a round trip')
  assert.ok((connection.rtt ?? -1) >= 0 && (connection.rtt ?? Infinity) < 1000, `rtt ${connection.rtt} ms on loopback`)

  const frozenAt = Date.now()
  cable.freeze()
  const gone = await new Promise<number>(resolve => { a.addEventListener('peer:disconnect', () => { resolve(Date.now() - frozenAt) }, { once: true }) })
  // 7 s after the last thing heard, which was up to 2 s (one ping interval) before the freeze.
  assert.ok(gone >= 4500 && gone <= 8500, `dropped ${gone} ms after the link went silent`)
  assert.equal(a.getConnections(b.peerId).length, 0)
})
