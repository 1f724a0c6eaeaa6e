import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { BadPackageError, readManifest, unpackPackage } from '../../src/admin/update-package.js'
import type { TestContext } from 'node:test'

interface Entry { name: string, body?: string, type?: string, mode?: number, link?: string }

/** A ustar header and its padded body, as tar writes them. */
function tarEntry ({ name, body = '', type = '0', mode = 0o644, link = '' }: Entry): Buffer {
  const data = Buffer.from(body)
  const header = Buffer.alloc(512)
  header.write(name, 0, 100, 'utf8')
  header.write(mode.toString(8).padStart(7, '0'), 100)
  header.write('0000000', 108)
  header.write('0000000', 116)
  header.write(data.length.toString(8).padStart(11, '0'), 124)
  header.write('00000000000', 136)
  header.write(type, 156)
  header.write(link, 157, 100)
  header.write('ustar\u000000', 257, 'latin1')
  header.fill(0x20, 148, 156)
  let sum = 0
  for (const b of header) sum += b
  header.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1')
  return Buffer.concat([header, data, Buffer.alloc((512 - data.length % 512) % 512)])
}

function pax (path: string): Entry {
  const record = (len: number): string => `${len} path=${path}\n`
  let len = record(0).length
  while (record(len).length !== len) len = record(len).length
  return { name: 'PaxHeader', type: 'x', body: record(len) }
}

function tgz (entries: Entry[]): Buffer {
  return gzipSync(Buffer.concat([...entries.map(tarEntry), Buffer.alloc(1024)]))
}

async function * source (bytes: Buffer): AsyncGenerator<Buffer> {
  // Small pieces: a header or a file split across chunks is read whole.
  for (let i = 0; i < bytes.length; i += 100) yield bytes.subarray(i, i + 100)
}

async function temp (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'update-package-'))
  t.after(async () => rm(dir, { recursive: true, force: true }))
  return dir
}

test('an npm package unpacks into its folder: files with their contents, the executable bit, long names from pax headers', async (t) => {
  const dir = join(await temp(t), 'v')
  const long = `package/${'deep/'.repeat(30)}file.txt`
  const result = await unpackPackage(source(tgz([
    { name: 'package/', type: '5', mode: 0o755 },
    { name: 'package/package.json', body: '{"name":"meshnode","version":"1.2.3"}' },
    { name: 'package/dist/src/bin/meshnode.js', body: 'console.log(1)\n', mode: 0o755 },
    pax(long),
    { name: 'package/truncated-name', body: 'long' }
  ])), dir)
  assert.deepEqual(result, { files: 3, bytes: 37 + 15 + 4 })
  assert.equal(await readFile(join(dir, 'dist/src/bin/meshnode.js'), 'utf8'), 'console.log(1)\n')
  assert.equal((await stat(join(dir, 'dist/src/bin/meshnode.js'))).mode & 0o777, 0o755)
  assert.equal((await stat(join(dir, 'package.json'))).mode & 0o777, 0o644)
  assert.equal(await readFile(join(dir, long.slice('package/'.length)), 'utf8'), 'long')
  assert.deepEqual(await readManifest(source(tgz([{ name: 'package/README.md', body: 'x' }, { name: 'package/package.json', body: '{"name":"meshnode","version":"1.2.3"}' }]))), { name: 'meshnode', version: '1.2.3' })
})

test('a package with a link, a device, an entry outside package/ or one that climbs out is refused, and nothing of it is left', async (t) => {
  const root = await temp(t)
  const refused: Array<[Entry, RegExp]> = [
    [{ name: 'package/evil', type: '2', link: '/etc/passwd' }, /symbolic link/],
    [{ name: 'package/evil', type: '1', link: 'package/package.json' }, /hard link/],
    [{ name: 'package/tty', type: '3' }, /character device/],
    [{ name: 'package/../../escaped', body: 'x' }, /escapes/],
    [{ name: '/etc/cron.d/evil', body: 'x' }, /not under package\//],
    [{ name: 'other/file', body: 'x' }, /not under package\//],
    [pax('package/../up'), /escapes/],
    [{ name: 'package/a\\b', body: 'x' }, /backslash/]
  ]
  for (const [i, [entry, reason]] of refused.entries()) {
    const dir = join(root, `v${i}`)
    const entries = [{ name: 'package/package.json', body: '{}' }, entry, ...(entry.type === 'x' ? [{ name: 'package/x', body: 'x' }] : [])]
    await assert.rejects(unpackPackage(source(tgz(entries)), dir), (err: Error) => err.name === 'BadPackageError' && reason.test(err.message))
    await assert.rejects(stat(dir), { code: 'ENOENT' })
  }
  assert.deepEqual(await readdir(root), [], 'nothing was written beside the folders either')
})

test('an archive over the limits, cut short, damaged or not gzipped is refused', async (t) => {
  const root = await temp(t)
  const big = tgz([{ name: 'package/big', body: 'x'.repeat(5000) }])
  await assert.rejects(unpackPackage(source(big), join(root, 'a'), { maxUnpackedBytes: 4096, maxEntries: 10 }), /more than 4096 bytes/)
  const many = tgz(Array.from({ length: 20 }, (_, i) => ({ name: `package/f${i}`, body: 'x' })))
  await assert.rejects(unpackPackage(source(many), join(root, 'b'), { maxUnpackedBytes: 1e6, maxEntries: 10 }), /more than 10 entries/)
  const whole = Buffer.concat([tarEntry({ name: 'package/f', body: 'y'.repeat(2000) })])
  await assert.rejects(unpackPackage(source(gzipSync(whole.subarray(0, 1000))), join(root, 'c')), /cut short/)
  const damaged = Buffer.concat([tarEntry({ name: 'package/f', body: 'z' }), Buffer.alloc(1024)])
  damaged[10] ^= 1
  await assert.rejects(unpackPackage(source(gzipSync(damaged)), join(root, 'd')), /checksum/)
  await assert.rejects(unpackPackage(source(Buffer.from('not gzip at all')), join(root, 'e')), BadPackageError)
  const twice = tgz([{ name: 'package/f', body: '1' }, { name: 'package/f', body: '2' }])
  await assert.rejects(unpackPackage(source(twice), join(root, 'f')), /twice/)
  assert.deepEqual(await readdir(root), [])
})

test('property: any entry names either unpack inside the folder or are refused as a bad package', async (t) => {
  const root = await temp(t)
  const segment = fc.constantFrom('package', '..', '.', '', 'a', 'b.js', '/', 'x\\y', '%2e%2e')
  const name = fc.array(segment, { minLength: 1, maxLength: 6 }).map(parts => parts.join('/'))
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(fc.record({ name, type: fc.constantFrom('0', '5', '2', 'x') }), { minLength: 1, maxLength: 5 }), async entries => {
    const dir = join(root, String(run++), 'v')
    try {
      await unpackPackage(source(tgz(entries.map(e => e.type === 'x' ? pax(e.name) : { ...e, body: e.type === '0' ? 'data' : '' }))), dir)
    } catch (err: any) {
      if (err.name !== 'BadPackageError') throw err
    }
    // Whatever happened, nothing landed beside the folder.
    const beside = await readdir(join(root, String(run - 1)))
    assert.ok(beside.every(n => n === 'v'), `written beside: ${beside.join(', ')}`)
  }), { numRuns: 200 })
})

test('property: random bytes, gzipped or not, never throw anything but a bad package', async (t) => {
  const root = await temp(t)
  let run = 0
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, gzipped) => {
    const data = gzipped ? gzipSync(bytes) : Buffer.from(bytes)
    await unpackPackage(source(data), join(root, String(run++))).catch((err: Error) => { if (err.name !== 'BadPackageError') throw err })
  }), { numRuns: 200 })
})
