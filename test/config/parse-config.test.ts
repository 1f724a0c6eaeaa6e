import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { loadConfigFile, parseConfig, parseOffers, parseTrustList } from '../../src/config/load-config.js'
import { ANY_PEER, toolLimits } from '../../src/config/node-config.js'
import { buildConfig } from '../../src/cli/start-config.js'
import { packageRoot } from '../../src/paths.js'

const PRINTER = { name: 'mk3', port: '/dev/ttyUSB0', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA' }

/** The ConfigError `parseConfig` throws for `raw`, checked by name and by the field it names. */
function rejects (raw: unknown, field: string): void {
  assert.throws(() => parseConfig(raw, '/base'), (err: any) => {
    assert.equal(err.name, 'ConfigError')
    assert.equal(err.field, field)
    return true
  })
}

test('an empty config takes the defaults: mDNS on, compute from anyone, prints from no one', () => {
  const config = parseConfig({}, '/base')
  assert.equal(config.mdns.enabled, true)
  assert.deepEqual(config.trust.submit, [ANY_PEER])
  assert.deepEqual(config.trust.print, undefined, 'unset: printTrust decides by whether the mesh has a key')
  assert.deepEqual(config.printers, [])
  assert.equal(config.offers, undefined)
  assert.ok(config.market.maxConcurrent >= 1)
  assert.equal(config.market.minFreeDiskBytes, 512 * 1024 * 1024, 'a node keeps 512 MiB free unless told')
  assert.equal(config.tools.sandbox, true, 'native tools run in the sandbox unless told')
  assert.equal(config.market.toolMemoryMiB, Math.floor(totalmem() / 2 / 1024 / 1024), 'a tool may use half the machine\'s memory')
  assert.equal(config.market.toolCpuSec, undefined, 'no CPU limit beyond the wall time unless told')
  assert.equal(config.market.maxOutputMiB, 1024)
  assert.equal(config.market.toolTimeoutSec, 1800)
})

test('relative paths resolve against the config file\'s folder, absolute ones stay', () => {
  const config = parseConfig({ dataDir: 'data', meshKeyFile: '/etc/meshnode/mesh.key' }, '/srv/node')
  assert.equal(config.dataDir, '/srv/node/data')
  assert.equal(config.meshKeyFile, '/etc/meshnode/mesh.key')
})

test('every section is read into the config', () => {
  const config = parseConfig({
    name: 'pi-1',
    listen: ['/ip4/127.0.0.1/tcp/4001'],
    peers: ['/ip4/10.0.0.2/tcp/4001'],
    mdns: { enabled: false, intervalMs: 5000 },
    offers: ['print'],
    printers: [PRINTER],
    trust: { print: ['12D3KooWExample'] },
    blobs: { maxBlobMiB: 2 },
    tools: { sandbox: false },
    market: { maxConcurrent: 3, bidWindowMs: 100, minFreeDiskMiB: 2048, toolMemoryMiB: 512, toolCpuSec: 600, maxOutputMiB: 64, toolTimeoutSec: 90 }
  }, '/base')
  assert.equal(config.name, 'pi-1')
  assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/4001'])
  assert.deepEqual(config.mdns, { enabled: false, intervalMs: 5000 })
  assert.deepEqual(config.offers, ['print'])
  assert.equal(config.printers[0].name, 'mk3')
  assert.equal(config.printers[0].baud, 115200)
  assert.deepEqual(config.trust.print, ['12D3KooWExample'])
  assert.deepEqual(config.trust.submit, [ANY_PEER])
  assert.equal(config.blobs.maxBlobBytes, 2 * 1024 * 1024)
  assert.equal(config.market.maxConcurrent, 3)
  assert.equal(config.market.bidWindowMs, 100)
  assert.equal(config.market.minFreeDiskBytes, 2048 * 1024 * 1024)
  assert.equal(config.tools.sandbox, false)
  assert.deepEqual(toolLimits(config), { memoryMiB: 512, cpuSec: 600, outputMiB: 64 })
  assert.equal(config.market.toolTimeoutSec, 90)
})

test('a bad value is refused with the field that holds it', () => {
  const cases: Array<[unknown, string]> = [
    [[], '(top level)'],
    [null, '(top level)'],
    [{ mdns: { intervalMs: 5 } }, 'mdns.intervalMs'],
    [{ mdns: { intervalMs: '1000' } }, 'mdns.intervalMs'],
    [{ mdns: { enabled: 'yes' } }, 'mdns.enabled'],
    [{ mdns: [] }, 'mdns'],
    [{ name: 'has space' }, 'name'],
    [{ name: '' }, 'name'],
    [{ listen: ['not a multiaddr'] }, 'listen[0]'],
    [{ listen: '/ip4/0.0.0.0/tcp/0' }, 'listen'],
    [{ peers: ['/ip4/10.0.0.1/tcp/1', 'nonsense'] }, 'peers[1]'],
    [{ offers: ['scad', 'no/slash'] }, 'offers[1]'],
    [{ printers: [{ ...PRINTER, baud: 1234 }] }, 'printers[0].baud'],
    [{ printers: [PRINTER, { ...PRINTER, name: 'b', nozzleMm: 0 }] }, 'printers[1].nozzleMm'],
    [{ printers: [{ ...PRINTER, bed: { x: 1, y: 1 } }] }, 'printers[0].bed.z'],
    [{ printers: [{ ...PRINTER, material: undefined }] }, 'printers[0].material'],
    [{ printers: [PRINTER, PRINTER] }, 'printers[1].name'],
    [{ trust: { print: 'everyone' } }, 'trust.print'],
    [{ trust: { submit: [''] } }, 'trust.submit[0]'],
    [{ blobs: { maxBlobMiB: 0 } }, 'blobs.maxBlobMiB'],
    [{ market: { maxConcurrent: Number.NaN } }, 'market.maxConcurrent'],
    [{ market: { leaseMs: 10 } }, 'market.leaseMs'],
    [{ market: { minFreeDiskMiB: -1 } }, 'market.minFreeDiskMiB'],
    [{ market: { toolMemoryMiB: 8 } }, 'market.toolMemoryMiB'],
    [{ market: { toolMemoryMiB: 512.5 } }, 'market.toolMemoryMiB'],
    [{ market: { toolCpuSec: 0 } }, 'market.toolCpuSec'],
    [{ market: { maxOutputMiB: '1G' } }, 'market.maxOutputMiB'],
    [{ market: { toolTimeoutSec: 0 } }, 'market.toolTimeoutSec'],
    [{ tools: { sandbox: 'off' } }, 'tools.sandbox']
  ]
  for (const [raw, field] of cases) rejects(raw, field)
})

test('unknown fields are refused at every level, with their full path', () => {
  rejects({ nmae: 'typo' }, 'nmae')
  rejects({ mdns: { interval: 1000 } }, 'mdns.interval')
  rejects({ trust: { print: [], everyone: true } }, 'trust.everyone')
  rejects({ market: { bidWindow: 100 } }, 'market.bidWindow')
  rejects({ printers: [{ ...PRINTER, speed: 2 }] }, 'printers[0].speed')
  rejects({ printers: [{ ...PRINTER, bed: { ...PRINTER.bed, w: 3 } }] }, 'printers[0].bed.w')
  // JSON.parse makes "__proto__" an own key: it must not slip past as a prototype.
  rejects(JSON.parse('{"__proto__": {"name": "x"}}'), '__proto__')
})

test('parseOffers splits comma lists, trims, and "none" offers nothing', () => {
  assert.deepEqual(parseOffers(['scad,slice', ' print '], '--offer'), ['scad', 'slice', 'print'])
  assert.deepEqual(parseOffers(['none'], '--offer'), [])
  assert.deepEqual(parseOffers([' , '], '--offer'), [])
  assert.throws(() => parseOffers(['scad,../x'], '--offer'), (err: any) => err.name === 'ConfigError' && err.field === '--offer[1]')
})

test('parseTrustList reads --trust-print and --trust-submit: names, peer ids, "*", or "none"', () => {
  assert.deepEqual(parseTrustList('*', '--trust-print'), [ANY_PEER])
  assert.deepEqual(parseTrustList(' ws1, 12D3KooWExample ', '--trust-print'), ['ws1', '12D3KooWExample'])
  assert.deepEqual(parseTrustList('none', '--trust-print'), [])
  assert.throws(() => parseTrustList('', '--trust-print'), (err: any) => err.name === 'ConfigError' && err.field === '--trust-print')
  assert.throws(() => parseTrustList('ws1,../x', '--trust-submit'), (err: any) => err.name === 'ConfigError' && err.field === '--trust-submit[1]')
})

test('loadConfigFile: a missing file and a file that is not JSON name the file, not a field', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-config-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await assert.rejects(loadConfigFile(join(dir, 'missing.json')), (err: any) => err.name === 'ConfigError' && err.field === '(file)')
  await writeFile(join(dir, 'broken.json'), '{ "name": ')
  await assert.rejects(loadConfigFile(join(dir, 'broken.json')), (err: any) => err.name === 'ConfigError' && err.field === '(file)')
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ mdns: { intervalMs: -1 } }))
  await assert.rejects(loadConfigFile(join(dir, 'bad.json')), (err: any) => err.name === 'ConfigError' && err.field === 'mdns.intervalMs')
})

test('loadConfigFile resolves paths against the file\'s own folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-config-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(join(dir, 'node.json'), JSON.stringify({ dataDir: 'state', meshKeyFile: '../mesh.key' }))
  const config = await loadConfigFile(join(dir, 'node.json'))
  assert.equal(config.dataDir, join(dir, 'state'))
  assert.equal(config.meshKeyFile, resolve(dir, '..', 'mesh.key'))
})

test('every example config in node-configs/ loads', async (t) => {
  const dir = join(packageRoot(), 'node-configs')
  const files = (await readdir(dir)).filter(f => f.endsWith('.json'))
  for (const expected of ['workstation.json', 'build-server.json', 'pi-printer.json']) {
    assert.ok(files.includes(expected), `node-configs/${expected} is missing`)
  }
  for (const file of files) {
    await t.test(file, async () => {
      const config = await loadConfigFile(join(dir, file))
      assert.ok(config.name.length > 0)
    })
  }
})

test('a mesh is private unless the config asks for an open one, and cannot be both', async () => {
  assert.equal(parseConfig({}, '/srv/node').open, false, 'no key named: the node makes its own, not an open mesh')
  assert.equal(parseConfig({ open: true }, '/srv/node').open, true)
  assert.throws(() => parseConfig({ open: true, meshKeyFile: 'mesh.key' }, '/srv/node'), { name: 'ConfigError', message: /open/ })
  assert.throws(() => parseConfig({ open: 'yes' }, '/srv/node'), { name: 'ConfigError', message: /open/ })
  await assert.rejects(buildConfig({ open: true, meshKey: 'mesh.key' }), { name: 'ConfigError', message: /--open/ })
  assert.equal((await buildConfig({ open: true, dataDir: '/tmp/x' })).open, true)
})
