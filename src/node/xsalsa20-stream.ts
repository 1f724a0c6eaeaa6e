import { xsalsa20 } from '@noble/ciphers/salsa.js'

const BLOCK_BYTES = 64
/** @noble/ciphers keeps Salsa20's block counter to 32 bits and refuses the last value, so it never wraps. */
const MAX_BLOCKS = 0xffffffff
/** 256 GiB less a block: the keystream one key and nonce give before the counter would wrap. */
const KEYSTREAM_BYTES = MAX_BLOCKS * BLOCK_BYTES
const ZERO_BLOCK = new Uint8Array(BLOCK_BYTES)
/** Bytes ciphered per call; a whole number of blocks, so only a chunk's last slice can end inside one. */
const SLICE_BYTES = 64 * 1024
/** One for all streams: update() runs to its end before any other can. */
const SCRATCH = new Uint8Array(SLICE_BYTES)

/** One direction of a connection has used up its keystream; the connection must end (a redial makes new nonces). */
export class KeystreamExhaustedError extends Error {
  constructor (message = `a keyed connection carried ${KEYSTREAM_BYTES} bytes one way, all its keystream`) {
    super(message)
    this.name = 'KeystreamExhaustedError'
  }
}

/**
 * XSalsa20 as one continuous stream over chunks of any size, as libp2p's private networks use it: the
 * chunks a socket happens to deliver decrypt exactly as one buffer would. Memory is a block and the
 * output of the chunk in hand, whatever has gone before; the cipher keeps no buffer of its own that grows.
 */
export class XSalsa20Stream {
  private readonly key: Uint8Array
  private readonly nonce: Uint8Array
  /** Bytes of keystream used so far. */
  private position = 0
  /** The keystream of the block `position` is inside, when a chunk ended part way through it. */
  private readonly partial = new Uint8Array(BLOCK_BYTES)

  constructor (key: Uint8Array, nonce: Uint8Array) {
    if (key.byteLength !== 32) throw new RangeError('an XSalsa20 key is 32 bytes')
    if (nonce.byteLength !== 24) throw new RangeError('an XSalsa20 nonce is 24 bytes')
    this.key = Uint8Array.from(key)
    this.nonce = Uint8Array.from(nonce)
  }

  /** XORs `input` with the next bytes of keystream into `output` (a new buffer unless given) and returns it. */
  update (input: Uint8Array, output: Uint8Array = new Uint8Array(input.byteLength)): Uint8Array {
    if (output.byteLength !== input.byteLength) throw new RangeError('output must be as long as input')
    if (this.position + input.byteLength > KEYSTREAM_BYTES) throw new KeystreamExhaustedError()
    let done = 0
    const offset = this.position % BLOCK_BYTES
    if (offset !== 0) {
      done = Math.min(BLOCK_BYTES - offset, input.byteLength)
      for (let i = 0; i < done; i++) output[i] = input[i] ^ this.partial[offset + i]
    }
    let counter = (this.position + done) / BLOCK_BYTES
    for (let at = done; at < input.byteLength;) {
      const length = Math.min(SLICE_BYTES, input.byteLength - at)
      this.xorAligned(input.subarray(at, at + length), output.subarray(at, at + length), counter)
      counter += Math.floor(length / BLOCK_BYTES)
      at += length
      // The next chunk starts inside this block: keep its keystream rather than recompute it per chunk.
      if (length % BLOCK_BYTES !== 0) xsalsa20(this.key, this.nonce, ZERO_BLOCK, this.partial, counter)
    }
    this.position += input.byteLength
    return output
  }

  /**
   * The cipher reads and writes whole 32-bit words only where both buffers are 4-byte aligned, byte by
   * byte (a third slower) otherwise; socket buffers start anywhere, so unaligned bytes go through SCRATCH.
   */
  private xorAligned (input: Uint8Array, output: Uint8Array, counter: number): void {
    if (isAligned(output)) {
      if (!isAligned(input)) output.set(input)
      xsalsa20(this.key, this.nonce, isAligned(input) ? input : output, output, counter)
      return
    }
    const scratch = SCRATCH.subarray(0, input.byteLength)
    scratch.set(input)
    xsalsa20(this.key, this.nonce, scratch, scratch, counter)
    output.set(scratch)
  }
}

function isAligned (bytes: Uint8Array): boolean {
  return bytes.byteOffset % 4 === 0
}
