import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { QuietDiscovery } from '../../src/net/quiet-discovery.js'
import type { PeerDiscoveryEvents, PeerId, PeerInfo } from '@libp2p/interface'

/** Stands in for mDNS: the test says what it "heard". */
class HeardOnTheLan extends TypedEventEmitter<PeerDiscoveryEvents> {
  started = false
  async start (): Promise<void> { this.started = true }
  async stop (): Promise<void> { this.started = false }
  hear (peer: PeerInfo): void { this.safeDispatchEvent('peer', { detail: peer }) }
}

test('an answer about a connected peer at known addresses is dropped; a new peer, a new address or a lost peer is passed on', async () => {
  const lan = new HeardOnTheLan()
  const connected = new Set<string>()
  const quiet = new QuietDiscovery(lan, { getConnections: (id: PeerId) => connected.has(id.toString()) ? [{}] : [] })
  const passed: string[] = []
  quiet.addEventListener('peer', (evt) => { passed.push(`${evt.detail.id.toString().slice(-4)} ${evt.detail.multiaddrs.join(' ')}`) })
  await quiet.start()
  assert.equal(lan.started, true)

  const b = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const at = (...addresses: string[]): PeerInfo => ({ id: b, multiaddrs: addresses.map(a => multiaddr(a)) })
  const name = b.toString().slice(-4)

  lan.hear(at('/ip4/10.0.0.2/tcp/4001'))
  connected.add(b.toString())
  lan.hear(at('/ip4/10.0.0.2/tcp/4001'))
  lan.hear(at('/ip4/10.0.0.2/tcp/4001'))
  lan.hear(at('/ip4/10.0.0.2/tcp/4002', '/ip4/10.0.0.2/tcp/4001'))
  lan.hear(at('/ip4/10.0.0.2/tcp/4001', '/ip4/10.0.0.2/tcp/4002'))
  connected.delete(b.toString())
  lan.hear(at('/ip4/10.0.0.2/tcp/4001', '/ip4/10.0.0.2/tcp/4002'))

  assert.deepEqual(passed, [
    `${name} /ip4/10.0.0.2/tcp/4001`,
    `${name} /ip4/10.0.0.2/tcp/4002 /ip4/10.0.0.2/tcp/4001`,
    `${name} /ip4/10.0.0.2/tcp/4001 /ip4/10.0.0.2/tcp/4002`
  ])

  await quiet.stop()
  assert.equal(lan.started, false)
  lan.hear(at('/ip4/10.0.0.3/tcp/4001'))
  assert.equal(passed.length, 3, 'nothing is passed on after stop')
})
