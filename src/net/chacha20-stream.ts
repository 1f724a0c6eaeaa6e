import { createCipheriv, type Cipheriv } from 'node:crypto'

const BLOCK_BYTES = 64
/**
 * OpenSSL's ChaCha20 IV: a 32-bit little-endian block counter, then the 96-bit nonce. Every key here ciphers
 * one stream only, so both start at zero.
 */
const IV = new Uint8Array(16)
/**
 * The keystream one key gives before the 32-bit block counter would wrap: 2^32 blocks, 256 GiB. OpenSSL would
 * carry on into the nonce's first word, which is no longer standard ChaCha20; the stream takes its next key
 * first.
 */
export const KEY_LIFETIME_BYTES = 2 ** 32 * BLOCK_BYTES

/**
 * ChaCha20 (OpenSSL's, through node:crypto) as one continuous stream over chunks of any size: the chunks a
 * socket happens to deliver come out exactly as one buffer would. After every `keyLifetimeBytes` it goes on
 * under the key `keyFor` gives for the next epoch, so no keystream is ever used twice. OpenSSL keeps only a
 * part block between calls; memory is the output of the chunk in hand, whatever has gone before.
 */
export class ChaCha20Stream {
  private readonly keyFor: (epoch: number) => Uint8Array
  private readonly keyLifetimeBytes: number
  private epoch = 0
  private cipher: Cipheriv
  /** Bytes this epoch's key may still cipher. */
  private left: number

  constructor (keyFor: (epoch: number) => Uint8Array, keyLifetimeBytes = KEY_LIFETIME_BYTES) {
    if (!Number.isSafeInteger(keyLifetimeBytes) || keyLifetimeBytes < 1 || keyLifetimeBytes > KEY_LIFETIME_BYTES) {
      throw new RangeError(`a ChaCha20 key ciphers from 1 to ${KEY_LIFETIME_BYTES} bytes, not ${keyLifetimeBytes}`)
    }
    this.keyFor = keyFor
    this.keyLifetimeBytes = keyLifetimeBytes
    this.cipher = createCipheriv('chacha20', keyFor(0), IV)
    this.left = keyLifetimeBytes
  }

  /** `input` XORed with the next bytes of keystream, in a new buffer. */
  update (input: Uint8Array): Uint8Array {
    if (input.byteLength <= this.left) {
      this.left -= input.byteLength
      return this.cipher.update(input)
    }
    const output = new Uint8Array(input.byteLength)
    for (let at = 0; at < input.byteLength;) {
      if (this.left === 0) this.nextKey()
      const length = Math.min(this.left, input.byteLength - at)
      output.set(this.cipher.update(input.subarray(at, at + length)), at)
      this.left -= length
      at += length
    }
    return output
  }

  private nextKey (): void {
    this.epoch++
    this.cipher = createCipheriv('chacha20', this.keyFor(this.epoch), IV)
    this.left = this.keyLifetimeBytes
  }
}
