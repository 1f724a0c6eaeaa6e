import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { XSalsa20Stream } from './xsalsa20-stream.js'
import type { AbortOptions, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'

/**
 * The most handed to the cipher at once. The write queue above can hold whatever noise wrote while the socket
 * was full; taken in slices, what the cipher allocates stays this size however much waits.
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
 * A TCP connection with every byte XORed with XSalsa20 under the mesh key, one keystream each way (each
 * side's own nonce for what it sends), as @libp2p/pnet's BoxMessageStream does on the wire.
 */
export class KeyedConnection extends AbstractMultiaddrConnection {
  private readonly maConn: MultiaddrConnection
  private readonly inbound: XSalsa20Stream
  private readonly outbound: XSalsa20Stream

  constructor (init: KeyedConnectionInit) {
    super({ log: init.log, remoteAddr: init.maConn.remoteAddr, direction: init.maConn.direction, maxMessageSize: MAX_SEALED_BYTES })
    this.maConn = init.maConn
    this.inbound = new XSalsa20Stream(init.secret, init.remoteNonce)
    this.outbound = new XSalsa20Stream(init.secret, init.localNonce)
    this.maConn.addEventListener('message', (evt) => {
      // A throw in a socket listener would end the process; a cipher that cannot go on ends this connection.
      try {
        this.onData(xorPieces(this.inbound, evt.data))
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
    return { sentBytes: data.byteLength, canSendMore: this.maConn.send(xorPieces(this.outbound, data)) }
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

/** The pieces run through the keystream in order, into one new buffer: no copy to join them first. */
function xorPieces (cipher: XSalsa20Stream, data: Uint8Array | Uint8ArrayList): Uint8Array {
  if (data instanceof Uint8Array) return cipher.update(data)
  const output = new Uint8Array(data.byteLength)
  let at = 0
  for (const piece of data) {
    cipher.update(piece, output.subarray(at, at + piece.byteLength))
    at += piece.byteLength
  }
  return output
}
