import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Beat, encodeFrame, FrameReader, FRAME_BYTES } from '../../src/node/heartbeat-frame.js'
import type { Frame } from '../../src/node/heartbeat-frame.js'

const RUNS = { numRuns: 300 }
const frame = fc.record({ kind: fc.constantFrom(Beat.PING, Beat.PONG), seq: fc.nat({ max: 0xffffffff }) }).map(f => ({ kind: f.kind, seq: f.seq }))

/** Cuts `bytes` at the given points (taken modulo its length), as a TCP stream may. */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => bytes.byteLength === 0 ? 0 : c % bytes.byteLength))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const at of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(from, at))
    from = at
  }
  return chunks
}

function joined (frames: Frame[]): Uint8Array {
  const bytes = new Uint8Array(frames.length * FRAME_BYTES)
  frames.forEach((f, i) => { bytes.set(encodeFrame(f), i * FRAME_BYTES) })
  return bytes
}

test('frames split anywhere come out whole and in order', () => {
  fc.assert(fc.property(fc.array(frame, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
    const reader = new FrameReader()
    const read = split(joined(frames), cuts).flatMap(chunk => reader.push(chunk))
    assert.deepEqual(read, frames)
  }), RUNS)
})

test('any bytes give frames or MalformedHeartbeatError, nothing else; an unknown kind is refused', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
    const reader = new FrameReader()
    try {
      for (const chunk of split(bytes, cuts)) {
        for (const f of reader.push(chunk)) assert.ok(f.kind === Beat.PING || f.kind === Beat.PONG)
      }
    } catch (err) {
      assert.equal((err as Error).name, 'MalformedHeartbeatError')
    }
  }), RUNS)
  assert.throws(() => new FrameReader().push(new Uint8Array([7, 0, 0, 0, 1])), { name: 'MalformedHeartbeatError' })
})
