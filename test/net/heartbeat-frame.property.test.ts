import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Beat, encodeFrame, FrameReader, FRAME_BYTES } from '../../src/net/heartbeat-frame.js'
import type { Frame } from '../../src/net/heartbeat-frame.js'
import { cutAt } from '../cut-at.js'

const RUNS = { numRuns: 300 }
const frame = fc.record({ kind: fc.constantFrom(Beat.PING, Beat.PONG), seq: fc.nat({ max: 0xffffffff }) }).map(f => ({ kind: f.kind, seq: f.seq }))

function joined (frames: Frame[]): Uint8Array {
  const bytes = new Uint8Array(frames.length * FRAME_BYTES)
  frames.forEach((f, i) => { bytes.set(encodeFrame(f), i * FRAME_BYTES) })
  return bytes
}

test('frames split anywhere come out whole and in order', () => {
  fc.assert(fc.property(fc.array(frame, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
    const reader = new FrameReader()
    const read = cutAt(joined(frames), cuts).flatMap(chunk => reader.push(chunk))
    assert.deepEqual(read, frames)
  }), RUNS)
})

test('any bytes give frames or MalformedHeartbeatError, nothing else; an unknown kind is refused', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
    const reader = new FrameReader()
    try {
      for (const chunk of cutAt(bytes, cuts)) {
        for (const f of reader.push(chunk)) assert.ok(f.kind === Beat.PING || f.kind === Beat.PONG)
      }
    } catch (err) {
      assert.equal((err as Error).name, 'MalformedHeartbeatError')
    }
  }), RUNS)
  assert.throws(() => new FrameReader().push(new Uint8Array([7, 0, 0, 0, 1])), { name: 'MalformedHeartbeatError' })
})
