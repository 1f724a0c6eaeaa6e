import assert from 'node:assert/strict'
import { stat, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { openDocument, RefusedDocumentError, sealDocument, targets, type NewDocument } from '../../src/admin/admin-document.js'
import { readAdminKey, writeAdminKey } from '../../src/admin/admin-key.js'
import { AdminReport, AdminSummary, RunFrame, SignedAdminDocument } from '../../protocols/admin.js'
import { checkServiceBody } from '../../src/admin/admin-services.js'
import { parseConfig } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/config/config-error.js'

async function keys (t: { after: (fn: () => Promise<void>) => void }): Promise<{ file: string, publicKey: string, other: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-key-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'admin.key')
  const publicKey = await writeAdminKey(file)
  const other = join(dir, 'other.key')
  await writeAdminKey(other)
  return { file, publicKey, other }
}

const doc = (overrides: Partial<NewDocument> = {}): NewDocument => ({
  kind: 'config',
  target: { all: false, names: ['slicers'] },
  revision: 5,
  expiresAt: Date.now() + 3600_000,
  body: { offers: ['slice'] },
  ...overrides
})

test('an admin key is written for its owner alone, never over a file, and its public key opens what it signs', async (t) => {
  const { file, publicKey } = await keys(t)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.match(publicKey, /^ed25519:[A-Za-z0-9_-]{43}$/)
  await assert.rejects(writeAdminKey(file), { code: 'EEXIST' })
  const opened = openDocument(sealDocument(doc(), await readAdminKey(file)), [publicKey])
  assert.deepEqual({ key: opened.key, revision: opened.revision, body: opened.body, admin: opened.admin }, { key: 'config:slicers', revision: 5, body: { offers: ['slice'] }, admin: publicKey })
})

test('unsigned, signed by another key, tampered or expired documents are refused, each saying why', async (t) => {
  const { file, publicKey, other } = await keys(t)
  const signer = await readAdminKey(file)
  const good = SignedAdminDocument.decode(sealDocument(doc(), signer))
  const unsigned = SignedAdminDocument.encode({ ...good, signature: new Uint8Array(0) })
  assert.throws(() => openDocument(unsigned, [publicKey]), { name: 'RefusedDocumentError', message: /unsigned/ })
  const otherSigned = sealDocument(doc({ revision: 6 }), await readAdminKey(other))
  assert.throws(() => openDocument(otherSigned, [publicKey]), { message: /trust\.admin does not list/ })
  // Another key claiming to be the trusted one: its signature does not verify under the trusted key.
  const forged = SignedAdminDocument.encode({ ...SignedAdminDocument.decode(otherSigned), publicKey: good.publicKey })
  assert.throws(() => openDocument(forged, [publicKey]), { message: /bad signature/ })
  assert.throws(() => openDocument(sealDocument(doc({ expiresAt: Date.now() - 1 }), signer), [publicKey]), { message: /expired/ })
})

test('property: random bytes never crash the decoder, and a flipped bit anywhere in a signed document is refused', async (t) => {
  const { file, publicKey } = await keys(t)
  const signer = await readAdminKey(file)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), bytes => {
    try {
      openDocument(bytes, [publicKey])
    } catch (err) {
      assert.ok(err instanceof RefusedDocumentError, String(err))
    }
  }), { numRuns: 500 })
  const signed = sealDocument(doc(), signer)
  fc.assert(fc.property(fc.integer({ min: 0, max: signed.byteLength * 8 - 1 }), bit => {
    const flipped = new Uint8Array(signed)
    flipped[bit >> 3] ^= 1 << (bit & 7)
    assert.throws(() => openDocument(flipped, [publicKey]), RefusedDocumentError)
  }), { numRuns: 300 })
})

test('a target means nodes by name or by tag, or all of them', () => {
  assert.ok(targets({ all: false, names: ['slicers'] }, { name: 'ws1', tags: ['slicers'] }))
  assert.ok(targets({ all: false, names: ['ws1'] }, { name: 'ws1', tags: [] }))
  assert.ok(!targets({ all: false, names: ['printers'] }, { name: 'ws1', tags: ['slicers'] }))
  assert.ok(targets({ all: true, names: [] }, { name: 'ws1', tags: [] }))
})

test('trust.admin takes admin public keys beside the names old configs hold, and names a malformed key', () => {
  const key = 'ed25519:' + 'A'.repeat(43)
  assert.deepEqual(parseConfig({ trust: { admin: ['ws1', key] }, tags: ['slicers'] }, '/').trust.admin, ['ws1', key])
  assert.throws(() => parseConfig({ trust: { admin: ['ed25519:short'] } }, '/'), (err: ConfigError) => err.field === 'trust.admin[0]')
  assert.throws(() => parseConfig({ tags: ['no spaces'] }, '/'), (err: ConfigError) => err.field === 'tags[0]')
})

test('property: the wire messages of sync, reports and runs decode random bytes or refuse them with an error, and a service body is checked field by field', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), bytes => {
    for (const decode of [() => AdminSummary.decode(bytes, { limits: { entries: 16 } }), () => AdminReport.decode(bytes, { limits: { tags: 8, services: 8 } }), () => RunFrame.decode(bytes)]) {
      try {
        decode()
      } catch (err) {
        assert.ok(err instanceof Error)
      }
    }
  }), { numRuns: 500 })
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), body => {
    try {
      checkServiceBody(body)
    } catch (err: any) {
      assert.match(err.message, /^(service|files(\[\d+\]\.(name|hash|size|holder))?):/)
    }
  }), { numRuns: 500 })
  assert.throws(() => checkServiceBody({ service: { name: 'x' }, files: [{ name: '../etc/passwd', hash: 'a'.repeat(64), size: 1, holder: 'x' }] }), { message: /^files\[0\]\.name/ })
})
