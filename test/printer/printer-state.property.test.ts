import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { PrinterStateEvent } from '../../protocols/printer-state.js'
import { decodePrinterState, MAX_PRINTER_STATE_BYTES, withEvent } from '../../src/printer/printer-state.js'
import type { Printer } from '../../protocols/capability.js'

const RUNS = { numRuns: 300 }
const STATES = ['offline', 'idle', 'printing', 'waiting-for-power', 'paused', 'bed-occupied', 'interrupted']

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
const jobId = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/))
// Protobuf leaves a zero field out, and -0 comes back as 0.
const noNegativeZero = (x: number): number => x === 0 ? 0 : x
const celsius = fc.double({ min: -100, max: 1000, noNaN: true }).map(noNegativeZero)
const event: fc.Arbitrary<PrinterStateEvent> = fc.record({
  printer: name,
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  state: fc.constantFrom(...STATES),
  currentJob: jobId,
  progress: fc.double({ min: 0, max: 1, noNaN: true }).map(noNegativeZero),
  hotendC: celsius,
  bedC: celsius
}).map(e => ({ ...e }))

/** Network bytes either decode to an event a receiver may show, or throw MalformedPrinterStateError. */
function decodesOrMalformed (bytes: Uint8Array): PrinterStateEvent | undefined {
  try {
    return decodePrinterState(bytes)
  } catch (err) {
    assert.equal((err as Error).name, 'MalformedPrinterStateError', (err as Error).stack)
    return undefined
  }
}

test('valid printer state events round-trip and stay under the size limit', () => {
  fc.assert(fc.property(event, (e) => {
    const bytes = PrinterStateEvent.encode(e)
    assert.ok(bytes.byteLength <= MAX_PRINTER_STATE_BYTES, `${bytes.byteLength} bytes`)
    assert.deepEqual(decodePrinterState(bytes), e)
  }), RUNS)
})

test('random bytes never crash the decoder, and what it lets through is a valid event', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
    const decoded = decodesOrMalformed(bytes)
    if (decoded === undefined) return
    assert.ok(STATES.includes(decoded.state))
    assert.ok(decoded.progress >= 0 && decoded.progress <= 1)
    assert.ok(Number.isSafeInteger(decoded.seq) && decoded.seq >= 1)
  }), RUNS)
})

test('a valid event with one field made invalid is refused', () => {
  const bad = fc.oneof(
    event.map(e => ({ ...e, printer: '' })),
    event.map(e => ({ ...e, printer: '../etc' })),
    event.map(e => ({ ...e, seq: 0 })),
    event.map(e => ({ ...e, state: 'on-fire' })),
    event.map(e => ({ ...e, currentJob: 'j/../../x' })),
    event.map(e => ({ ...e, progress: 1.5 })),
    event.map(e => ({ ...e, progress: Number.NaN })),
    event.map(e => ({ ...e, hotendC: Number.POSITIVE_INFINITY })),
    event.map(e => ({ ...e, bedC: -300 }))
  )
  fc.assert(fc.property(bad, (e) => {
    assert.throws(() => decodePrinterState(PrinterStateEvent.encode(e)), { name: 'MalformedPrinterStateError' })
  }), RUNS)
})

test('an event over the size limit is refused before it is decoded', () => {
  const big = PrinterStateEvent.encode({ printer: 'mk3', seq: 1, state: 'idle', currentJob: 'x'.repeat(600), progress: 0, hotendC: 0, bedC: 0 })
  assert.throws(() => decodePrinterState(big), { name: 'MalformedPrinterStateError', message: /over the limit/ })
})

test('an event lies over a snapshot only when it is newer and names the same printer', () => {
  const snapshot: Printer = { name: 'mk3', state: 'printing', material: 'PLA', nozzleMm: 0.4, bedXMm: 250, bedYMm: 210, bedZMm: 210, currentJob: 'j1', progress: 0.17, hotendC: 21, bedC: 20, stateSeq: 100 }
  fc.assert(fc.property(event, (e) => {
    const merged = withEvent(snapshot, { ...e, printer: 'mk3' })
    if (e.seq > 100) assert.deepEqual(merged, { ...snapshot, stateSeq: e.seq, state: e.state, currentJob: e.currentJob, progress: e.progress, hotendC: e.hotendC, bedC: e.bedC })
    else assert.equal(merged, snapshot)
    assert.equal(withEvent(snapshot, { ...e, printer: 'other', seq: 1000 }), snapshot)
  }), RUNS)
})
