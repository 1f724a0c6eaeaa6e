import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HeatUp } from '../../src/printer/heat-up.js'

test('a heat-up starts at the first target above zero and ends when every heater wait is answered', () => {
  const heat = new HeatUp()
  assert.equal(heat.starts('G28'), false)
  assert.equal(heat.starts('M104 S0'), false, 'turning a heater off is no heat-up')
  assert.equal(heat.starts('M140 S60'), true)
  for (const command of ['M140 S60', 'M104 S205', 'M190 S60', 'M109 S205']) heat.sent(command)
  assert.equal(heat.starts('M104 S210'), false, 'only the first target starts it')
  assert.equal(heat.ends({ T: { actual: 205, target: 205 }, B: { actual: 60, target: 60 } }), false, 'two waits are still owed')
  heat.acknowledged('M140 S60')
  heat.acknowledged('M104 S205')
  heat.acknowledged('M190 S60')
  assert.equal(heat.ends({ T: { actual: 150, target: 205 }, B: { actual: 60, target: 60 } }), false, 'the hotend wait is owed')
  heat.acknowledged('M109 S205')
  assert.equal(heat.ends({ T: { actual: 204.5 }, B: { actual: 59.8 } }), true)
  assert.equal(heat.ends({ T: { actual: 205 }, B: { actual: 60 } }), false, 'it ends once')
})

test('a heat-up without waits ends when the readings reach the targets', () => {
  const heat = new HeatUp()
  heat.sent('M104 S215')
  assert.equal(heat.ends({ T0: { actual: 100 } }), false)
  assert.equal(heat.ends({ T0: { actual: 214 } }), true)
})
