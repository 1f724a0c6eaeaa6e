import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { TokenStore } from '../../src/api/token-store.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { curl, parseRelayReply } from './relay-client.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** The gateway bound to every address, reached here through loopback: what another machine would see. */
function loopbackUrl (node: MeshNode): string {
  return (node.reprapcloud?.url ?? '').replace('0.0.0.0', '127.0.0.1')
}

test('on an address other machines reach, the gateway needs a token or an explicit "open"', { timeout: 300_000 }, async (t) => {
  const dir = await tempDir(t, 'meshnode-rrc-doors-')

  await t.test('with neither, the node does not start, and says why', async () => {
    await assert.rejects(startPeer(t, dir, 'bare', c => { c.gateways.reprapcloud.listen = '0.0.0.0:0' }), (err: Error) => {
      assert.equal(err.name, 'RelayListenError')
      assert.match(err.message, /neither tokens nor "open": true/)
      return true
    })
  })

  await t.test('with a token: none or a wrong one is refused with 401 in the relay\'s shape, the right one served', async () => {
    await mkdir(join(dir, 'keyed'), { recursive: true })
    const { token } = await (await TokenStore.open(join(dir, 'keyed'))).create('workshop', 'submit')
    const node = await startPeer(t, dir, 'keyed', c => { c.gateways.reprapcloud.listen = '0.0.0.0:0' })
    const url = loopbackUrl(node)
    const status = async (args: string[]): Promise<string> => curl(['-o', '/dev/null', '-w', '%{http_code}', ...args])
    assert.equal(await status(['-F', 'service=meta', `${url}/`]), '401')
    assert.match(await curl(['-F', 'service=meta', `${url}/`]), /^error: this RepRapCloud gateway needs a token/)
    assert.equal(await status(['-F', 'service=meta', `${url}/?token=mesh_wrong`]), '401')
    assert.equal(parseRelayReply(await curl(['-F', 'service=meta', `${url}/?token=${token}`])).version, 'RepRapCloud 0.019')
    const echoed = parseRelayReply(await curl(['-H', `Authorization: Bearer ${token}`, '-F', 'service=echo', '-F', 'fileIn0=hello', `${url}/`]))
    assert.equal(echoed.status, 'complete')
  })

  await t.test('with "open": true, the relay\'s clients are served without one', async () => {
    const node = await startPeer(t, dir, 'open', c => { c.gateways.reprapcloud.listen = '0.0.0.0:0'; c.gateways.reprapcloud.open = true })
    const echoed = parseRelayReply(await curl(['-F', 'service=echo', '-F', 'fileIn0=hello', `${loopbackUrl(node)}/`]))
    assert.equal(echoed.status, 'complete')
    assert.equal(await curl([`${loopbackUrl(node)}/${echoed.out}`]), 'hello')
  })
})
