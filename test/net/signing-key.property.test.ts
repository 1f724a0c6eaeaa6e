import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Uint8ArrayList } from 'uint8arraylist'
import { loadOrCreatePeerKey } from '../../src/net/identity.js'
import { withKeptSigningKey } from '../../src/net/signing-key.js'

test('the kept signing key signs any message, whole or in pieces, with the bytes @libp2p/crypto gives', async () => {
  const original = await generateKeyPair('Ed25519')
  const kept = withKeptSigningKey(original)
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.nat(), async (message, cut) => {
    const expected = await original.sign(message)
    assert.deepEqual(new Uint8Array(await kept.sign(message)), new Uint8Array(expected))
    const at = message.byteLength === 0 ? 0 : cut % message.byteLength
    const pieces = new Uint8ArrayList(message.subarray(0, at), message.subarray(at))
    assert.deepEqual(new Uint8Array(await kept.sign(pieces)), new Uint8Array(expected))
    assert.equal(await original.publicKey.verify(message, await kept.sign(message)), true)
  }), { numRuns: 200 })
})

test('the kept signing key is still the same peer key everywhere else', async () => {
  const original = await generateKeyPair('Ed25519')
  const kept = withKeptSigningKey(original)
  assert.equal(kept.type, 'Ed25519')
  assert.equal(kept.equals(original), true)
  assert.deepEqual(privateKeyToProtobuf(kept), privateKeyToProtobuf(original))
  assert.equal(peerIdFromPrivateKey(kept).toString(), peerIdFromPrivateKey(original).toString())
  await assert.rejects(async () => kept.sign(new Uint8Array(1), { signal: AbortSignal.abort() }), { name: 'AbortError' })
})

test('a key of another type is left as it is', async () => {
  const key = await generateKeyPair('secp256k1')
  assert.equal(withKeptSigningKey(key), key)
})

test('the peer key from the data dir signs with the kept key, created and read back alike', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-key-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const created = await loadOrCreatePeerKey(dir)
  const loaded = await loadOrCreatePeerKey(dir)
  assert.notEqual(Object.getOwnPropertyDescriptor(created, 'sign'), undefined, 'a created key signs with its kept key')
  assert.notEqual(Object.getOwnPropertyDescriptor(loaded, 'sign'), undefined, 'a key read back signs with its kept key')
  const message = new TextEncoder().encode('announce scad')
  assert.deepEqual(new Uint8Array(await loaded.sign(message)), new Uint8Array(await created.sign(message)))
  assert.deepEqual(privateKeyFromProtobuf(privateKeyToProtobuf(loaded)).raw, created.raw)
})
