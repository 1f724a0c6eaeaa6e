import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { inviteKeys, inviteProof, newNonce, proofMatches, seal, unseal } from '../../src/net/invite-crypto.js'
import { decodeAnswer, decodeHello, decodeProof, decodeWelcome, encodeLine, encodeWelcome } from '../../src/net/invite-messages.js'

const RUNS = { numRuns: 300 }
const decoders = { decodeHello, decodeProof, decodeAnswer, decodeWelcome: (line: string) => decodeWelcome(new TextEncoder().encode(line)) }
/** Objects with the messages' field names and values of any JSON type, so decoders meet near-misses too. */
const nearMiss = fc.dictionary(fc.constantFrom('v', 'nonce', 'proof', 'sealed', 'refused', 'message', 'meshKey', 'peers'),
  fc.oneof(fc.jsonValue(), fc.base64String({ maxLength: 120 }), fc.constantFrom('used', 'expired', 1)))

test('any line gives a message or InviteProtocolError, from every decoder', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.json(), nearMiss.map(o => JSON.stringify(o))), (line) => {
    for (const decode of Object.values(decoders)) {
      try {
        decode(line)
      } catch (err) {
        assert.equal((err as Error).name, 'InviteProtocolError')
      }
    }
  }), RUNS)
})

test('messages come back as they were sent', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 500 }),
    fc.array(fc.string({ maxLength: 60 }), { maxLength: 16 }), (nonce, proof, key, peers) => {
      assert.deepEqual(decodeHello(encodeLine({ v: 1, nonce })), { v: 1, nonce })
      assert.deepEqual(decodeProof(encodeLine({ nonce, proof })), { nonce, proof })
      assert.deepEqual(decodeAnswer(encodeLine({ sealed: key })), { sealed: key })
      assert.deepEqual(decodeWelcome(encodeWelcome({ meshKey: key, peers })), { meshKey: key, peers })
    }), RUNS)
  assert.throws(() => decodeHello(encodeLine({ v: 2, nonce: newNonce() })), { name: 'InviteProtocolError', message: /version 2/ })
})

test('only the secret proves a code and opens the sealed key, and only for the exchange it was made in', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), (secret, other, key) => {
    fc.pre(Buffer.compare(secret, other) !== 0)
    const ours = inviteKeys(secret)
    const theirs = inviteKeys(other)
    const [server, client, replayed] = [newNonce(), newNonce(), newNonce()]
    const proof = inviteProof(ours.proofKey, server, client)
    assert.ok(proofMatches(ours.proofKey, server, client, proof))
    assert.ok(!proofMatches(theirs.proofKey, server, client, proof), 'another secret does not prove this code')
    assert.ok(!proofMatches(ours.proofKey, replayed, client, proof), 'a proof does not replay against a new server nonce')
    const nonces = Buffer.concat([server, client])
    const box = seal(ours.sealKey, nonces, key)
    assert.deepEqual(unseal(ours.sealKey, nonces, box), key)
    assert.equal(unseal(theirs.sealKey, nonces, box), undefined)
    assert.equal(unseal(ours.sealKey, Buffer.concat([replayed, client]), box), undefined)
  }), { numRuns: 100 })
})
