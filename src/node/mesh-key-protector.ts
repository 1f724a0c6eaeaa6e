import { byteStream } from '@libp2p/utils'
import { KeyedConnection } from './keyed-connection.js'
import { decodeMeshKey } from './mesh-key-format.js'
import type { AbortOptions, ConnectionProtector, MultiaddrConnection } from '@libp2p/interface'

const NONCE_BYTES = 24
/** As @libp2p/pnet: a peer that does not send its nonce within a second is not one of ours. */
const NONCE_TIMEOUT_MS = 1000

export interface MeshKeyProtectorInit {
  /** The key file's contents. */
  psk: Uint8Array
}

/**
 * A libp2p private network on the wire exactly as @libp2p/pnet makes one (each side sends a random
 * 24-byte nonce, then everything is XSalsa20 under the shared key), so peers running either interoperate.
 * Ours because @libp2p/pnet's cipher (the xsalsa20 package's WebAssembly, one memory shared by all its
 * ciphers) grows that memory on nearly every update once two ciphers take turns: each keeps a view of the
 * memory, a grow by one detaches the other's, which then reads as empty and "grows" by its whole need
 * again. The memory never shrinks and stops at 1000 pages (62.5 MiB). The RangeError then killed the peer
 * (thrown in a socket listener: issue 20's 150 MB input) or broke its connections over and over (thrown
 * while sending: test/e2e/faults/keyed-large-input.test.ts's 1 GiB never arrived). The cipher used here
 * instead is in xsalsa20-stream.ts.
 */
class MeshKeyProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = 'meshnode:mesh-key'
  private readonly secret: Uint8Array

  constructor (init: MeshKeyProtectorInit) {
    this.secret = decodeMeshKey(init.psk)
  }

  async protect (connection: MultiaddrConnection, options: AbortOptions = { signal: AbortSignal.timeout(NONCE_TIMEOUT_MS) }): Promise<MultiaddrConnection> {
    const log = connection.log.newScope('pnet')
    const localNonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
    const bytes = byteStream(connection)
    const [remoteNonce] = await Promise.all([bytes.read({ ...options, bytes: NONCE_BYTES }), bytes.write(localNonce, options)])
    log('exchanged nonces')
    return new KeyedConnection({ maConn: bytes.unwrap(), secret: this.secret, localNonce, remoteNonce: remoteNonce.subarray(), log })
  }
}

/** The connection protector for a keyed mesh; a key file that cannot be read as one throws InvalidMeshKeyError here. */
export function meshKeyProtector (init: MeshKeyProtectorInit): () => ConnectionProtector {
  const protector = new MeshKeyProtector(init)
  return () => protector
}
