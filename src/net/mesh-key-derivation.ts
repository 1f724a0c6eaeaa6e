import { hkdfSync } from 'node:crypto'

/**
 * Named in every key derived here. A peer on another cipher for the mesh key (@libp2p/pnet's XSalsa20, or a
 * later version of this one) derives other keys, so its handshake fails and it never connects.
 */
export const KEY_PROTOCOL = 'meshnode/pnet/chacha20/1'
const KEY_BYTES = 32

/** Which end of the TCP connection sends the bytes a key ciphers. */
export type Sender = 'dialer' | 'listener'

/** What both ends of one keyed connection know after the nonce exchange. */
export interface ConnectionSecrets {
  /** The mesh key's 32-byte secret. */
  secret: Uint8Array
  dialerNonce: Uint8Array
  listenerNonce: Uint8Array
}

/**
 * The ChaCha20 key for what `sender` sends in the `epoch`th key lifetime of a connection: HKDF-SHA256 of the
 * secret, salted with both nonces. Each side's fresh nonce makes every connection's keys new even if the other
 * side repeats its own; the sender and epoch in the label keep the two directions, and each epoch, apart even
 * if both nonces were the same.
 */
export function directionKey (secrets: ConnectionSecrets, sender: Sender, epoch: number): Uint8Array {
  const salt = Buffer.concat([secrets.dialerNonce, secrets.listenerNonce])
  return new Uint8Array(hkdfSync('sha256', secrets.secret, salt, `${KEY_PROTOCOL} ${sender} ${epoch}`, KEY_BYTES))
}
