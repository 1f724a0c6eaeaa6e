/** A heartbeat frame: one byte of kind, then a 32-bit big-endian sequence number. */
export const FRAME_BYTES = 5

export enum Beat {
  PING = 1,
  PONG = 2
}

export interface Frame {
  kind: Beat
  seq: number
}

export class MalformedHeartbeatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MalformedHeartbeatError'
  }
}

export function encodeFrame (frame: Frame): Uint8Array {
  const bytes = new Uint8Array(FRAME_BYTES)
  bytes[0] = frame.kind
  new DataView(bytes.buffer).setUint32(1, frame.seq >>> 0)
  return bytes
}

/** Cuts a heartbeat byte stream into frames, however it was split; a partial frame waits for its rest. */
export class FrameReader {
  private pending = new Uint8Array(0)

  /** Throws MalformedHeartbeatError on a frame of unknown kind: the stream is not speaking heartbeat. */
  push (chunk: Uint8Array): Frame[] {
    const bytes = this.pending.byteLength === 0 ? chunk : concat(this.pending, chunk)
    const frames: Frame[] = []
    let at = 0
    for (; at + FRAME_BYTES <= bytes.byteLength; at += FRAME_BYTES) {
      const kind = bytes[at]
      if (kind !== Beat.PING && kind !== Beat.PONG) throw new MalformedHeartbeatError(`heartbeat frame of unknown kind ${kind}`)
      frames.push({ kind, seq: new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0) })
    }
    this.pending = bytes.slice(at)
    return frames
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength)
  joined.set(a)
  joined.set(b, a.byteLength)
  return joined
}
