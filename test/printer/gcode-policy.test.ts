import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { DEFAULT_DENIED, GcodePolicy, parseGcodePolicy } from '../../src/printer/gcode-policy.js'
import { GcodeRefusedError, screenGcodeFile } from '../../src/printer/gcode-screen.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { tempDir } from './fixtures.js'

const printer = { name: 'mk3', port: 'virtual', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA' }

test('the default policy refuses the firmware commands of the issue in every spelling the firmware reads', () => {
  const policy = new GcodePolicy()
  for (const [command, code] of [
    ['M303 E0 S210 C8', 'M303'], ['M500', 'M500'], ['M501', 'M501'], ['M502', 'M502'], ['M302 P1', 'M302'],
    ['M211 S0', 'M211'], ['M112', 'M112'], ['M997', 'M997'], ['M999', 'M999'],
    // Marlin reads a line number first, lower case where configured, spaces before the number and leading zeros.
    ['N10 M500', 'M500'], ['m303 S200', 'M303'], ['M 500', 'M500'], ['M0500', 'M500'], ['M303.1', 'M303']
  ]) assert.equal(policy.refuses(command), code, command)
})

test('M302 is denied whatever its parameters: S170 only sets the floor, but S0 removes it as P1 does', () => {
  const policy = new GcodePolicy()
  for (const command of ['M302', 'M302 S170', 'M302 S0', 'M302 P1', 'M302 P0']) assert.equal(policy.refuses(command), 'M302', command)
})

test('what slicers write is not refused: moves, heating, homing, fans, limits, linear advance, M5000 is not M500', () => {
  const policy = new GcodePolicy()
  for (const command of ['G1 X10 Y10 E0.5 F1800', 'G28', 'G29', 'M104 S205', 'M109 S205', 'M140 S60', 'M190 S60', 'M106 S255',
    'M201 X1000', 'M203 X200', 'M204 P1250', 'M205 X8', 'M900 K0.05', 'M84', 'M107', 'M117 done', 'M5000', 'M30000', 'T0', 'G92 E0', 'X10']) {
    assert.equal(policy.refuses(command), null, command)
  }
})

test('a printer config adds codes and ranges to the default and takes codes out of it', () => {
  const config = parsePrinterConfig({ ...printer, gcodePolicy: { deny: ['M92', 'm906-907'], allow: ['M303'] } }, 'printers[0]')
  assert.deepEqual(config.gcodePolicy, { deny: ['M92', 'M906-907'], allow: ['M303'] })
  const policy = new GcodePolicy(config.gcodePolicy)
  assert.equal(policy.refuses('M92 E415'), 'M92')
  assert.equal(policy.refuses('M906 X800'), 'M906')
  assert.equal(policy.refuses('M907 E538'), 'M907')
  assert.equal(policy.refuses('M303 S200'), null, 'allowed by this printer\'s operator')
  assert.equal(policy.refuses('M500'), 'M500', 'the rest of the default stays')
  assert.equal(new GcodePolicy({ deny: [], allow: ['M500-M502'] }).refuses('M501'), null)
  const noProbing = new GcodePolicy({ deny: ['G29'], allow: [] })
  assert.equal(noProbing.refuses('G29 P1'), 'G29', 'a denied G code is found although moves are skipped quickly')
  assert.equal(noProbing.refuses('N7 g29'), 'G29')
  assert.equal(noProbing.refuses('G1 X1'), null)
})

test('a bad gcodePolicy names the field and the entry', () => {
  const bad = (gcodePolicy: unknown): string => {
    try {
      parsePrinterConfig({ ...printer, gcodePolicy }, 'printers[0]')
    } catch (err) {
      assert.equal((err as Error).name, 'ConfigError')
      return (err as Error).message
    }
    assert.fail(`accepted ${JSON.stringify(gcodePolicy)}`)
  }
  assert.match(bad({ deny: ['M303', 'PID tune'] }), /printers\[0\]\.gcodePolicy\.deny\[1\].*"PID tune" is not a G-code/)
  assert.match(bad({ allow: ['M502-M500'] }), /printers\[0\]\.gcodePolicy\.allow\[0\].*upwards/)
  assert.match(bad({ deny: ['M500-G502'] }), /gcodePolicy\.deny\[0\].*two letters/)
  assert.match(bad({ deny: ['M1-M9999'] }), /gcodePolicy\.deny\[0\].*at most 1000/)
  assert.match(bad({ deny: 'M303' }), /printers\[0\]\.gcodePolicy\.deny/)
  assert.match(bad({ block: ['M303'] }), /printers\[0\]\.gcodePolicy\.block.*unknown field/)
  assert.match(bad(['M303']), /printers\[0\]\.gcodePolicy.*must be an object/)
  assert.deepEqual(parseGcodePolicy({}, 'p'), { deny: [], allow: [] })
})

test('every default entry is a valid entry and has a reason', () => {
  for (const entry of DEFAULT_DENIED) {
    assert.doesNotThrow(() => parseGcodePolicy({ deny: [entry.codes] }, 'p'))
    assert.ok(entry.why.length > 20, entry.codes)
  }
})

test('screening a file names the first denied line by its line number in the file, comments and blanks counted', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'part.gcode')
  const lines = ['; header', '', 'M104 S205', 'G28', ...Array.from({ length: 20_000 }, (_, i) => `G1 X${i % 200} Y10 ; M500 in a comment is no command`), 'M303 E0 S250 C8 ; tune', 'M500']
  writeFileSync(file, lines.join('\n') + '\n')
  const err = await screenGcodeFile(file, new GcodePolicy(), 'mk3').then(() => null, (e: unknown) => e)
  assert.ok(err instanceof GcodeRefusedError, `refused: ${String(err)}`)
  assert.equal(err.fileLine, lines.indexOf('M303 E0 S250 C8 ; tune') + 1)
  assert.equal(err.code, 'M303')
  assert.match(err.message, /printer mk3 refuses line 20005 of the G-code, "M303 E0 S250 C8": M303/)
  writeFileSync(file, lines.slice(0, -2).join('\n') + '\n')
  await screenGcodeFile(file, new GcodePolicy(), 'mk3')
})
