import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { frameLine, gcodeChecksum } from '../../src/printer/checksum.js'
import { parseFirmwareInfo } from '../../src/printer/firmware-info.js'
import { gcodeCommand } from '../../src/printer/gcode-text.js'
import { parseFirmwareResponse } from '../../src/printer/response.js'
import { parseTemperatures } from '../../src/printer/temperatures.js'
import { LineSplitter } from '../../src/printer/transport.js'
import { parseHostLine } from '../../src/printer/virtual/host-line.js'
import { parseFaultSpec } from '../../src/printer/virtual/fault-spec.js'

const noisyLine = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.constantFrom('ok', 'Resend:', 'rs N', 'Error:', 'T:', 'B:/', 'ok N P B', 'FIRMWARE_NAME:', 'Cap::1', 'N*', 'N1*', '*999')
    .chain((prefix) => fc.string({ maxLength: 40 }).map((rest) => prefix + rest))
)

test('the checksum matches values known from the RepRap protocol', () => {
  assert.equal(gcodeChecksum('N3 T0'), 57)
  assert.equal(frameLine(3, 'T0'), 'N3 T0*57')
  assert.equal(frameLine(1, 'G28'), 'N1 G28*18')
  assert.equal(frameLine(123, 'M104 S200'), 'N123 M104 S200*103')
  assert.equal(gcodeChecksum(''), 0)
})

test('firmware answers are classified as the sender acts on them', () => {
  assert.deepEqual(parseFirmwareResponse('ok'), { kind: 'ok', temperatures: null })
  assert.deepEqual(parseFirmwareResponse('ok N12 P15 B3'), { kind: 'ok', lineNumber: 12, plannerFree: 15, bufferFree: 3, temperatures: null })
  assert.deepEqual(parseFirmwareResponse('ok P15 B0 '), { kind: 'ok', plannerFree: 15, bufferFree: 0, temperatures: null })
  assert.deepEqual(parseFirmwareResponse('ok N7 P15 B3 T:200.0 /200.0'), { kind: 'ok', lineNumber: 7, plannerFree: 15, bufferFree: 3, temperatures: { T: { actual: 200, target: 200 } } })
  assert.deepEqual(parseFirmwareResponse(' ok B3'), { kind: 'ok', bufferFree: 3, temperatures: null })
  assert.deepEqual(parseFirmwareResponse('ok T:210.5 /210.0 B:60.1 /60.0 @:127 B@:0'), {
    kind: 'ok', temperatures: { T: { actual: 210.5, target: 210 }, B: { actual: 60.1, target: 60 } }
  })
  assert.deepEqual(parseFirmwareResponse('Resend: 57'), { kind: 'resend', lineNumber: 57 })
  assert.deepEqual(parseFirmwareResponse('rs N57'), { kind: 'resend', lineNumber: 57 })
  assert.deepEqual(parseFirmwareResponse('echo:busy: processing'), { kind: 'busy' })
  assert.deepEqual(parseFirmwareResponse('Error:checksum mismatch, Last Line: 56'), { kind: 'link-error', message: 'checksum mismatch, Last Line: 56' })
  assert.deepEqual(parseFirmwareResponse('Error:Printer halted. kill() called!'), { kind: 'fatal-error', message: 'Printer halted. kill() called!' })
  assert.deepEqual(parseFirmwareResponse(' T:25.0 /0.0 B:24.0 /0.0 @:0 B@:0'), { kind: 'temperatures', temperatures: { T: { actual: 25, target: 0 }, B: { actual: 24, target: 0 } } })
  assert.equal(parseFirmwareResponse('start').kind, 'start')
  assert.equal(parseFirmwareResponse('echo:Unknown command: "X"').kind, 'other')
})

test('M115 answers give the firmware name and capabilities', () => {
  const info = parseFirmwareInfo([
    'FIRMWARE_NAME:Marlin 2.1.2.1 (Jun 12 2023) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:Prusa i3 EXTRUDER_COUNT:1',
    'Cap:ADVANCED_OK:1', 'Cap:AUTOREPORT_TEMP:1', 'Cap:EMERGENCY_PARSER:0'
  ])
  assert.equal(info.name, 'Marlin 2.1.2.1 (Jun 12 2023)')
  assert.equal(info.fields.MACHINE_TYPE, 'Prusa i3')
  assert.deepEqual(info.capabilities, { ADVANCED_OK: true, AUTOREPORT_TEMP: true, EMERGENCY_PARSER: false })
  assert.equal(parseFirmwareInfo([]).name, 'unknown')
})

test('the virtual printer checks line numbers and checksums as Marlin does', () => {
  assert.deepEqual(parseHostLine('N3 T0*57'), { kind: 'numbered', lineNumber: 3, command: 'T0' })
  assert.deepEqual(parseHostLine('N3 T0*58'), { kind: 'bad-checksum', lineNumber: 3 })
  assert.deepEqual(parseHostLine('N3 T0'), { kind: 'no-checksum', lineNumber: 3 })
  assert.deepEqual(parseHostLine('T0*57'), { kind: 'no-line-number' })
  assert.deepEqual(parseHostLine('M105'), { kind: 'plain', command: 'M105' })
  assert.deepEqual(parseHostLine('  '), { kind: 'empty' })
})

test('an ok with any mix of N, P and B reads the same as the firmware wrote it', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('N', 'P', 'B'), fc.nat({ max: 1e8 })), { maxLength: 4 }), (fields) => {
    const expected: Record<string, unknown> = { kind: 'ok', temperatures: null }
    const names: Record<string, string> = { N: 'lineNumber', P: 'plannerFree', B: 'bufferFree' }
    for (const [key, value] of fields) expected[names[key]] = value
    assert.deepEqual(parseFirmwareResponse(['ok', ...fields.map(([key, value]) => `${key}${value}`)].join(' ')), expected)
  }), { numRuns: 2000 })
})

test('the firmware\'s byte stream is cut into lines at CR or LF, whatever the chunks', () => {
  const lines: string[] = []
  const splitter = new LineSplitter((line) => { lines.push(line) })
  for (const chunk of ['ok\r\nok N1', ' P15 B3\n', '\nstart', '\r', 'echo:x\n']) splitter.push(chunk)
  assert.deepEqual(lines, ['ok', 'ok N1 P15 B3', 'start', 'echo:x'])
})

test('file lines lose comments and keep their command', () => {
  assert.equal(gcodeCommand('G1 X10 Y5 ; travel'), 'G1 X10 Y5')
  assert.equal(gcodeCommand('G1 (inline) X10'), 'G1  X10')
  assert.equal(gcodeCommand(';LAYER:2'), '')
  assert.equal(gcodeCommand('   '), '')
})

test('no serial decoder throws on random input, and framed lines always check out', () => {
  fc.assert(fc.property(noisyLine, (line) => {
    parseFirmwareResponse(line)
    parseTemperatures(line)
    parseHostLine(line)
    gcodeCommand(line)
  }), { numRuns: 3000 })
  fc.assert(fc.property(fc.array(noisyLine, { maxLength: 12 }), (lines) => { parseFirmwareInfo(lines) }), { numRuns: 1000 })
  fc.assert(fc.property(fc.nat({ max: 1e9 }), fc.string({ maxLength: 80 }).map(gcodeCommand).filter((c) => c !== ''), (n, command) => {
    assert.deepEqual(parseHostLine(frameLine(n, command)), { kind: 'numbered', lineNumber: n, command })
  }), { numRuns: 2000 })
})

test('fault specs parse, and a bad one throws only FaultSpecError', () => {
  assert.deepEqual(parseFaultSpec('silence:500:3'), { kind: 'silence', line: 500, seconds: 3 })
  assert.deepEqual(parseFaultSpec('resend:0.05'), { kind: 'resend', ratio: 0.05 })
  assert.throws(() => parseFaultSpec('resend:2'), { name: 'FaultSpecError' })
  assert.throws(() => parseFaultSpec('explode:3'), { name: 'FaultSpecError' })
  fc.assert(fc.property(noisyLine, (spec) => {
    try {
      parseFaultSpec(spec)
    } catch (err) {
      assert.equal((err as Error).name, 'FaultSpecError')
    }
  }), { numRuns: 2000 })
})
