import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { suggestedCommand } from '../../src/cli/suggested-command.js'

/** The words `sh` makes of a command line: a `meshnode` function on it prints each argument NUL-terminated. */
function wordsOf (line: string): string[] {
  const run = spawnSync('sh', ['-c', `meshnode () { printf '%s\\0' "$@"; }\n${line}`], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(run.status, 0, `sh ran ${JSON.stringify(line)}: ${run.stderr}`)
  return run.stdout.split('\0').slice(0, -1)
}

test('a suggested command line, pasted into sh, gives back exactly its words, whatever a file name holds', () => {
  const hostile = fc.string({ unit: fc.constantFrom('a', ' ', ';', '~', '\'', '"', '!', '$', '`', '\\', '*', '&', '|', '>', '#', '(', '\n', '\t', '-', 'é', '{', '%'), maxLength: 24 })
  const name = fc.oneof(hostile, fc.string({ unit: 'grapheme', maxLength: 24 }).map(s => s.replace(/\0/g, '')))
  fc.assert(fc.property(name, fc.option(name, { nil: undefined }), (file, dataDir) => {
    const args = ['get', 'j0123456789ab', '-o', file]
    const line = suggestedCommand(args, { dataDir }, {})
    assert.deepEqual(wordsOf(line), [...args, ...(dataDir != null ? ['--data-dir', resolve(dataDir)] : [])], line)
  }), { numRuns: 300 })
})

test('the line starts the way this CLI was started: npx meshnode from a checkout, meshnode when installed', () => {
  assert.equal(suggestedCommand(['get', 'j1', '-o', 'x ; rm -rf ~.gcode'], {}, {}), 'meshnode get j1 -o \'x ; rm -rf ~.gcode\'')
  assert.equal(suggestedCommand(['start'], {}, { npm_lifecycle_event: 'npx' }), 'npx meshnode start')
  assert.equal(suggestedCommand(['start'], { dataDir: '/srv/mesh data' }, {}), 'meshnode start --data-dir \'/srv/mesh data\'')
})
