import assert from 'node:assert/strict'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { jobEnded, slowService, startPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { meshnode } from '../cli/host-daemon.js'
import { SCAD } from './design-files.js'

test('the library from the command line: add, ls, tag -T, show, submit lib:ID, and a batch that reports what failed and why', async (t) => {
  const dir = await tempDir(t, 'library-cli-')
  const copy = await slowService(dir, 0)
  const script = join(dir, 'broken.sh')
  await writeFile(script, '#!/bin/sh\necho "no support for overhangs" >&2\nexit 3\n')
  await chmod(script, 0o755)
  const broken = parseServiceConfig({ name: 'broken', command: script, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 30 }, 'services[1]')
  const node = await startPeer(t, dir, 'shop', c => { c.services = [copy, broken]; unsandboxed(c); c.market.maxAttempts = 1 })
  const dataDir = ['--data-dir', node.config.dataDir]
  await writeFile(join(dir, 'left.scad'), SCAD)
  await writeFile(join(dir, 'right.scad'), `${SCAD}mirror([1, 0, 0]) bracket(width);\n`)

  const added = await meshnode(['library', 'add', join(dir, 'left.scad'), join(dir, 'right.scad'), '--tag', 'brackets', '--author', 'Alice', ...dataDir])
  assert.equal(added.code, 0, added.stderr)
  assert.match(added.stdout, /^added [0-9a-f]{12} {2}left\.scad by Alice {2}\[brackets\] {2}v1$/m)
  const listed = await meshnode(['library', 'ls', '--tag', 'brackets', '--json', ...dataDir])
  const entries = JSON.parse(listed.stdout)
  assert.equal(entries.length, 2)
  const left = entries.find((e: any) => e.name === 'left.scad')

  const tagged = await meshnode(['library', 'tag', left.id, '+m3', '-brackets', ...dataDir])
  assert.equal(tagged.code, 0, tagged.stderr)
  assert.match(tagged.stdout, /\[m3\]/)
  const shown = await meshnode(['library', 'show', left.id.slice(0, 5), ...dataDir])
  assert.match(shown.stdout, /tags {7}m3\n/)
  assert.match(shown.stdout, /version 1 .*\n {4}left\.scad {2}\d+ bytes/)

  const got = await meshnode(['library', 'get', left.id, '-o', join(dir, 'copy.scad'), ...dataDir])
  assert.equal(got.code, 0, got.stderr)
  assert.match(got.stdout, /^wrote .*copy\.scad: left\.scad, version 1, \d+ bytes, sha256 [0-9a-f]{64}\n$/)
  assert.equal(await readFile(join(dir, 'copy.scad'), 'utf8'), SCAD)
  const noSuch = await meshnode(['library', 'get', left.id, '-o', join(dir, 'x.scad'), '--version', '2', ...dataDir])
  assert.equal(noSuch.code, 1)
  assert.match(noSuch.stderr, /version: entry [0-9a-f]{12} has versions 1 to 1/)

  const submitted = await meshnode(['submit', `lib:${left.id as string}`, '--pipeline', 'slow', '--detach', ...dataDir])
  assert.equal(submitted.code, 0, submitted.stderr)
  assert.equal((await jobEnded(node, submitted.stdout.trim(), 60_000)).state, 'done')

  const batch = await meshnode(['library', 'process', '--author', 'alice', '--pipeline', 'slow', ...dataDir], 120_000)
  assert.equal(batch.code, 0, batch.stderr)
  assert.match(batch.stdout, /2 of 2 entries processed/)
  const failing = await meshnode(['library', 'process', '--tag', 'brackets', '--pipeline', 'broken', ...dataDir], 120_000)
  assert.equal(failing.code, 1)
  assert.match(failing.stdout, /0 of 1 entries processed\nfailed: right\.scad \([0-9a-f]{12}\), job \S+: .*no support for overhangs/)
})
