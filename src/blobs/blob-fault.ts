import { ConfigError } from '../config/config-error.js'

/**
 * TEST ONLY. Fault injection on the serving side of /meshnode/blob/1.0.0, for the resume and integrity
 * tests, including end-to-end tests that run real meshnode processes. Set MESHNODE_TEST_BLOB_FAULT to
 *   cut:<bytes>        abort the stream after sending <bytes> bytes of the body
 *   corrupt:<offset>   flip one byte at blob offset <offset>
 * Each fault fires once per hash per process. Never set it on a real node.
 */
export const BLOB_FAULT_ENV = 'MESHNODE_TEST_BLOB_FAULT'

export type BlobFault =
  | { kind: 'cut', afterBytes: number }
  | { kind: 'corrupt', atOffset: number }

export function parseBlobFault (spec: string | undefined): BlobFault | undefined {
  if (spec == null || spec === '') return undefined
  const match = /^(cut|corrupt):(\d{1,15})$/.exec(spec)
  if (match == null) throw new ConfigError(BLOB_FAULT_ENV, `expected cut:<bytes> or corrupt:<offset>, got "${spec}"`)
  const value = Number(match[2])
  return match[1] === 'cut' ? { kind: 'cut', afterBytes: value } : { kind: 'corrupt', atOffset: value }
}

/** Thrown inside the server when a cut fault fires; the server aborts the stream with it. */
export class InjectedFaultError extends Error {
  constructor (message = 'test fault: transfer cut') {
    super(message)
    this.name = 'InjectedFaultError'
  }
}

export class BlobFaultInjector {
  private readonly fault: BlobFault | undefined
  private readonly fired = new Set<string>()

  constructor (fault: BlobFault | undefined) {
    this.fault = fault
  }

  /** Passes the body through, applying the fault the first time this hash is served. */
  async * apply (hash: string, offset: number, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const fault = this.fault
    if (fault == null || this.fired.has(hash)) {
      yield * body
      return
    }
    let position = offset
    for await (const chunk of body) {
      const start = position
      position += chunk.byteLength
      if (fault.kind === 'cut' && position - offset >= fault.afterBytes) {
        this.fired.add(hash)
        yield chunk.subarray(0, fault.afterBytes - (start - offset))
        throw new InjectedFaultError()
      }
      if (fault.kind === 'corrupt' && fault.atOffset >= start && fault.atOffset < position) {
        this.fired.add(hash)
        const copy = Uint8Array.from(chunk)
        copy[fault.atOffset - start] ^= 0xff
        yield copy
        continue
      }
      yield chunk
    }
  }
}
