import { byteStream } from '@libp2p/utils'
import { KeyedConnection } from './keyed-connection.js'
import { decodeMeshKey } from './mesh-key-format.js'
import type { AbortOptions, ConnectionProtector, MultiaddrConnection } from '@libp2p/interface'

/** As @libp2p/pnet's: the salt of a connection's keys, fresh from each side. */
const NONCE_BYTES = 24
/** A peer that does not send its nonce within a second is not one of ours. */
const NONCE_TIMEOUT_MS = 1000

export interface MeshKeyProtectorInit {
  /** The key file's contents. */
  psk: Uint8Array
}

/**
 * A libp2p private network of our own: each side sends a random 24-byte nonce, then everything is ChaCha20
 * under a key per direction derived from the mesh key and both nonces (keyed-connection.ts). The exchange is
 * @libp2p/pnet's, the cipher is not, so a peer on @libp2p/pnet (or on meshnode's earlier XSalsa20) cannot
 * connect. Not @libp2p/pnet itself because its cipher (the xsalsa20 package's WebAssembly, one memory shared
 * by all its ciphers) grows that memory on nearly every update once two ciphers take turns: each keeps a view
 * of the memory, a grow by one detaches the other's, which then reads as empty and "grows" by its whole need
 * again. The memory never shrinks and stops at 1000 pages (62.5 MiB). The RangeError then killed the peer
 * (thrown in a socket listener: issue 20's 150 MB input) or broke its connections over and over (thrown
 * while sending: test/e2e/faults/keyed-large-input.test.ts's 1 GiB never arrived). Not XSalsa20 in
 * JavaScript either: at ~340 MiB/s a core it cost a keyed mesh half its throughput (BENCHMARKS.md, "Keyed
 * mesh"); OpenSSL's ChaCha20 is native and uses SIMD, also on ARM cores without AES instructions.
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
