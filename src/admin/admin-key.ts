import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { ADMIN_KEY_PREFIX } from '../config/admin-keys.js'

/** An admin's signing key, read from the operator's key file: it never leaves that machine. */
export interface AdminSigner {
  publicKey: Uint8Array
  sign(bytes: Uint8Array): Uint8Array
}

/**
 * Writes a new Ed25519 admin key (PKCS#8 PEM) to `file`, readable only by its owner, and never over an existing
 * file. Returns the public key as `trust.admin` takes it.
 */
export async function writeAdminKey (file: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519')
  await writeFile(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' })
  return adminKeyText(createPublicKey(privateKey))
}

export async function readAdminKey (file: string): Promise<AdminSigner> {
  let key: KeyObject
  try {
    key = createPrivateKey(await readFile(file, 'utf8'))
  } catch (err: any) {
    throw new Error(`cannot read the admin key ${file}: ${err.code ?? err.message}`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 admin key (made by "meshnode admin keygen")`)
  return {
    publicKey: Buffer.from(adminKeyText(createPublicKey(key)).slice(ADMIN_KEY_PREFIX.length), 'base64url'),
    sign: bytes => new Uint8Array(sign(null, bytes, key))
  }
}

function adminKeyText (publicKey: KeyObject): string {
  return ADMIN_KEY_PREFIX + String(publicKey.export({ format: 'jwk' }).x)
}

/** `ed25519:...` as written in trust.admin, for a document's raw public key. */
export function adminKeyOf (raw: Uint8Array): string {
  return ADMIN_KEY_PREFIX + Buffer.from(raw).toString('base64url')
}

/** The node:crypto key of a raw Ed25519 public key, for verifying. */
export function verifyingKey (raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
}
