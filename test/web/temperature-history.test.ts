import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { HISTORY_SPAN_MS, TemperatureHistory } from '../../src/printer/temperature-history.js'
import type { PrinterController } from '../../src/printer/printer-controller.js'

/** A printer that reports what the test tells it, through the events a controller emits. */
function fakePrinter (name: string): EventEmitter & Pick<PrinterController, 'config' | 'status'> {
  const printer = new EventEmitter() as any
  printer.config = { name }
  printer.status = () => ({ temperatures: { T: { actual: 25 }, B: { actual: 24 } } })
  return printer
}

test('a printer\'s chart holds the last 30 minutes at one sample a second, however long it prints', () => {
  const history = new TemperatureHistory()
  const mk3 = fakePrinter('mk3')
  const stop = history.watch([mk3 as any])
  const start = Date.now() - 45 * 60 * 1000
  for (let s = 0; s < 45 * 60; s++) {
    for (const half of [0, 500]) history.record('mk3', { T: { actual: 200 + (s % 10), target: 205 }, B: { actual: 60, target: 60 } }, start + s * 1000 + half)
  }
  const now = start + 45 * 60 * 1000
  const samples = history.of('mk3', now) ?? []
  assert.ok(samples.length <= HISTORY_SPAN_MS / 1000 && samples.length >= HISTORY_SPAN_MS / 1000 - 1, `${samples.length} samples`)
  assert.ok(samples[0].at >= now - HISTORY_SPAN_MS, 'nothing older than 30 minutes')
  assert.ok(samples.every((s, i) => i === 0 || s.at - samples[i - 1].at >= 1000), 'at most one a second')
  assert.deepEqual(Object.keys(samples[0]).sort(), ['at', 'bed', 'bedTarget', 'hotend', 'hotendTarget'])

  mk3.emit('printer:state', 'idle')
  assert.equal(history.of('mk3')?.at(-1)?.hotend, 25, 'a state change records the reading it has')
  assert.equal(history.of('elsewhere'), undefined, 'a printer not on this node has no history here')
  stop()
  assert.equal(mk3.listenerCount('printer:progress') + mk3.listenerCount('printer:state'), 0, 'stop() lets the printer go')
})
