import assert from 'node:assert/strict'
import { test } from 'node:test'
import { profileForPrinters } from '../../src/jobs/printer-class.js'
import type { Printer } from '../../protocols/capability.js'

const PROFILES = [
  { name: 'pla-0.2mm', material: 'PLA', nozzleMm: 0.4 },
  { name: 'petg-0.2mm', material: 'PETG', nozzleMm: 0.4 },
  { name: 'petg-0.6mm', material: 'PETG', nozzleMm: 0.6 }
]

function printer (name: string, material: string, nozzleMm: number, state = 'idle'): Printer {
  return { name, state, material, nozzleMm, bedXMm: 250, bedYMm: 210, bedZMm: 210, currentJob: '', progress: 0, hotendC: 20, bedC: 20, stateSeq: 1 }
}

test('a job with no profile is sliced for the printer class with the most idle printers, then the most printers', () => {
  assert.equal(profileForPrinters([printer('a', 'PLA', 0.4, 'printing'), printer('b', 'petg', 0.6)], PROFILES)?.name, 'petg-0.6mm', 'the idle PETG 0.6 mm printer, material in any case')
  assert.equal(profileForPrinters([printer('a', 'PLA', 0.4, 'printing'), printer('b', 'PLA', 0.4, 'printing'), printer('c', 'PETG', 0.4, 'printing')], PROFILES)?.name, 'pla-0.2mm', 'all busy: the bigger class')
  assert.equal(profileForPrinters([printer('a', 'ABS', 0.4), printer('b', 'PLA', 0.8)], PROFILES), undefined, 'no printer has a profile: the default')
  assert.equal(profileForPrinters([], PROFILES), undefined)
})
