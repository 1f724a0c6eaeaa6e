import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { ChaCha20Stream } from './chacha20-stream.js'
import { directionKey, type ConnectionSecrets, type Sender } from './mesh-key-derivation.js'
import type { AbortOptions, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'

/**
 * The most handed to the cipher at once. The write queue above can hold whatever noise wrote while the socket
 * was full; taken in slices, what the cipher's output takes stays this size however much waits.
 */
export const MAX_SEALED_BYTES = 256 * 1024

export interface KeyedConnectionInit {
  maConn: MultiaddrConnection
  secret: Uint8Array
  localNonce: Uint8Array
  remoteNonce: Uint8Array
  log: Logger
}

/**
 * A TCP connection with every byte XORed with ChaCha20, one key each way, derived from the mesh key and both
 * sides' nonces (mesh-key-derivation.ts).
 */
export class KeyedConnection extends AbstractMultiaddrConnection {
  private readonly maConn: MultiaddrConnection
  private readonly inbound: ChaCha20Stream
  private readonly outbound: ChaCha20Stream

  constructor (init: KeyedConnectionInit) {
    super({ log: init.log, remoteAddr: init.maConn.remoteAddr, direction: init.maConn.direction, maxMessageSize: MAX_SEALED_BYTES })
    this.maConn = init.maConn
    const dialing = init.maConn.direction === 'outbound'
    const secrets: ConnectionSecrets = {
      secret: init.secret,
      dialerNonce: dialing ? init.localNonce : init.remoteNonce,
      listenerNonce: dialing ? init.remoteNonce : init.localNonce
    }
    const [us, them]: Sender[] = dialing ? ['dialer', 'listener'] : ['listener', 'dialer']
    this.inbound = new ChaCha20Stream(epoch => directionKey(secrets, them, epoch))
    this.outbound = new ChaCha20Stream(epoch => directionKey(secrets, us, epoch))
    this.maConn.addEventListener('message', (evt) => {
      // A throw in a socket listener would end the process; a cipher that cannot go on ends this connection.
      try {
        this.onData(encipher(this.inbound, evt.data))
      } catch (err) {
        this.abort(err as Error)
        this.maConn.abort(err as Error)
      }
    })
    this.maConn.addEventListener('drain', () => { this.onMuxerDrain() })
    this.maConn.addEventListener('close', (evt) => {
      if (evt.error == null) this.onTransportClosed()
      else if (evt.local === true) this.abort(evt.error)
      else this.onRemoteReset()
    })
  }

  sendData (data: Uint8ArrayList): SendResult {
    return { sentBytes: data.byteLength, canSendMore: this.maConn.send(encipher(this.outbound, data)) }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.maConn.close(options)
  }

  sendReset (err: Error): void {
    this.maConn.abort(err)
  }

  sendPause (): void {
    this.maConn.pause()
  }

  sendResume (): void {
    this.maConn.resume()
  }
}

/** The pieces run through the keystream in order, each into its own buffer: no copy to join them. */
function encipher (cipher: ChaCha20Stream, data: Uint8Array | Uint8ArrayList): Uint8Array | Uint8ArrayList {
  if (data instanceof Uint8Array) return cipher.update(data)
  const output = new Uint8ArrayList()
  for (const piece of data) output.append(cipher.update(piece))
  return output
}
