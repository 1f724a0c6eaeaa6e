import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The keys an invite's secret gives, through HKDF-SHA256: one proves that the joiner knows the secret (an HMAC
 * over both sides' nonces, so the secret never crosses the wire and a proof cannot be replayed), the other
 * seals the mesh key for it (AES-256-GCM). Everything here is node:crypto; nothing is our own cipher.
 */
export interface InviteKeys {
  proofKey: Uint8Array
  sealKey: Uint8Array
}

const SALT = 'meshnode invite v1'
const KEY_BYTES = 32
export const NONCE_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

export function inviteKeys (secret: Uint8Array): InviteKeys {
  const derive = (info: string): Uint8Array => new Uint8Array(hkdfSync('sha256', secret, SALT, info, KEY_BYTES))
  return { proofKey: derive('proof'), sealKey: derive('seal') }
}

export function newNonce (): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES))
}

export function inviteProof (proofKey: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', proofKey).update(serverNonce).update(clientNonce).digest())
}

export function proofMatches (proofKey: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array, proof: Uint8Array): boolean {
  const expected = inviteProof(proofKey, serverNonce, clientNonce)
  return proof.length === expected.length && timingSafeEqual(proof, expected)
}

/** AES-256-GCM under the seal key, bound to this exchange's nonces: `iv || ciphertext || tag`. */
export function seal (sealKey: Uint8Array, nonces: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv).setAAD(nonces)
  return new Uint8Array(Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]))
}

/** The plaintext, or undefined when the box was not sealed with this key for these nonces. */
export function unseal (sealKey: Uint8Array, nonces: Uint8Array, box: Uint8Array): Uint8Array | undefined {
  if (box.length < IV_BYTES + TAG_BYTES) return undefined
  const decipher = createDecipheriv('aes-256-gcm', sealKey, box.subarray(0, IV_BYTES)).setAAD(nonces)
  decipher.setAuthTag(box.subarray(box.length - TAG_BYTES))
  try {
    return new Uint8Array(Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]))
  } catch {
    return undefined
  }
}
