import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load-config.js'

test('the library and watch sections: read with their units, folders resolved against the file, bad fields named', () => {
  const config = parseConfig({ library: { replicas: 3, graceSec: 30, checkSec: 2, classifyUrl: 'http://127.0.0.1:9000/classify' }, watch: [{ dir: 'inbox', pipeline: ['scad', 'slice'], tags: ['inbox'], profile: 'pla' }] }, '/srv/shop')
  assert.deepEqual(config.library, { replicas: 3, graceMs: 30_000, checkMs: 2000, classifyUrl: 'http://127.0.0.1:9000/classify' })
  assert.deepEqual(config.watch, [{ dir: '/srv/shop/inbox', pipeline: ['scad', 'slice'], tags: ['inbox'], profile: 'pla' }])
  assert.deepEqual(parseConfig({}, '/').library, { replicas: 2, graceMs: 600_000, checkMs: 15_000 })
  assert.throws(() => parseConfig({ library: { replicas: 0 } }, '/'), { name: 'ConfigError', message: /library\.replicas/ })
  assert.throws(() => parseConfig({ library: { classifyUrl: 'file:///bin/sh' } }, '/'), { name: 'ConfigError', message: /library\.classifyUrl/ })
  assert.throws(() => parseConfig({ watch: [{ pipeline: ['slice'] }] }, '/'), { name: 'ConfigError', message: /watch\[0\]\.dir/ })
  assert.throws(() => parseConfig({ watch: [{ dir: 'x', every: 1 }] }, '/'), { name: 'ConfigError', message: /watch\[0\]\.every/ })
})
