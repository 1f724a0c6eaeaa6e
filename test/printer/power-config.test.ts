import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load-config.js'

test('the power section: defaults for the lease, every bad field named', () => {
  assert.deepEqual(parseConfig({ power: { group: 'bench-a', maxHeating: 2 } }, '/').power, { group: 'bench-a', maxHeating: 2, leaseMs: 10_000, renewMs: 3000 })
  assert.deepEqual(parseConfig({ power: { group: 'b', maxHeating: 1, leaseMs: 3000 } }, '/').power?.renewMs, 1000)
  const refused: Array<[unknown, RegExp]> = [
    [{ maxHeating: 2 }, /power\.group/],
    [{ group: 'a b', maxHeating: 2 }, /power\.group/],
    [{ group: 'a' }, /power\.maxHeating/],
    [{ group: 'a', maxHeating: 0 }, /power\.maxHeating/],
    [{ group: 'a', maxHeating: 1.5 }, /power\.maxHeating/],
    [{ group: 'a', maxHeating: 2, leaseMs: 500 }, /power\.leaseMs/],
    [{ group: 'a', maxHeating: 2, leaseMs: 4000, renewMs: 3000 }, /power\.renewMs/],
    [{ group: 'a', maxHeating: 2, watts: 3000 }, /watts/]
  ]
  for (const [power, field] of refused) assert.throws(() => parseConfig({ power }, '/'), { name: 'ConfigError', message: field }, JSON.stringify(power))
})
