import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { servePrinterOnPty } from '../../src/printer/virtual/pty-link.js'
import { VirtualPrinter } from '../../src/printer/virtual/virtual-printer.js'
import { slowService, startPeer, stopPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { waitFor } from '../lan/wait.js'
import { socatMissing } from '../printer/fixtures.js'
import { curl, parseRelayReply, relayUrl } from './relay-client.js'
import type { NodeConfig } from '../../src/config/node-config.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

const prusaMissing = ((): string | false => {
  try {
    execFileSync('prusa-slicer', ['--help'], { stdio: 'ignore', timeout: 30_000 })
    return false
  } catch {
    return 'prusa-slicer is not installed: the --load= settings are applied by the Slic3r family'
  }
})()

/** A printer device path the relay's printrun service accepts (its prefixes are /dev/ttyUSB and /dev/ttyACM). */
const DEVICE = `/dev/ttyACM-meshnode-${process.pid}`

interface Mesh {
  gateway: MeshNode
  scad: MeshNode
  slicer: MeshNode
  url: string
  dir: string
  record: string
}

/**
 * Three peers on loopback: the gateway's peer (runs no stage but prints, on a virtual printer behind a PTY at
 * DEVICE), one that renders (and runs the custom `slow` service) and one that slices.
 */
async function startMesh (t: TestContext): Promise<Mesh> {
  const dir = await tempDir(t, 'meshnode-rrc-')
  const record = join(dir, 'printer.record')
  const pty = await servePrinterOnPty(new VirtualPrinter({ speedUp: 1000, recordFile: record }), DEVICE)
  t.after(async () => { await pty.close(); await rm(DEVICE, { force: true }); await rm(`${DEVICE}.printer`, { force: true }) })
  const slow = await slowService(dir, 3)
  const gatewayConfig = (c: NodeConfig): void => {
    c.offers = ['print']
    c.services = [slow]
    c.printers = [parsePrinterConfig({ name: 'acm', port: DEVICE, bed: { x: 220, y: 220, z: 250 }, nozzleMm: 0.4, material: 'PLA', bedClearsItself: true }, 'printers[0]')]
    c.gateways.reprapcloud.listen = '127.0.0.1:0'
  }
  const gateway = await startPeer(t, dir, 'gateway', gatewayConfig)
  const scad = await startPeer(t, dir, 'renderer', c => { c.offers = ['scad', 'slow']; c.services = [slow]; c.tools = { ...c.tools, embedded: { openscad: true, cura: false } }; unsandboxed(c) })
  const slicer = await startPeer(t, dir, 'slicer', c => { c.offers = ['slice']; c.tools = { ...c.tools, embedded: { openscad: false, cura: true } } })
  for (const peer of [scad, slicer]) await gateway.libp2p.dial(peer.libp2p.getMultiaddrs()[0])
  await waitFor(() => {
    const offers = new Set(gateway.capabilities.peers().flatMap(p => p.record.offers))
    return offers.has('scad') && offers.has('slice') && offers.has('slow')
  }, { timeoutMs: 30_000, what: 'the gateway to see the renderer and the slicer' })
  return { gateway, scad, slicer, url: relayUrl(gateway), dir, record }
}

async function jobsOf (node: MeshNode): Promise<Array<{ id: string, state: string }>> {
  return node.api.call('jobs', { all: true }, { caller: { kind: 'owner' }, signal: AbortSignal.timeout(10_000), emit: () => {} }) as Promise<Array<{ id: string, state: string }>>
}

test('the relay\'s clients, unchanged, make mesh jobs through the RepRapCloud gateway', { timeout: 600_000 }, async (t) => {
  const mesh = await startMesh(t)
  const { url, dir } = mesh
  const part = join(dir, 'part.scad')
  await writeFile(part, 'cube([10, 10, 4]);\n')

  let rendered: Record<string, string> = {}
  await t.test('curl -F service=openscad -F fileIn0=@part.scad answers when the task has ended, with its record', async () => {
    rendered = parseRelayReply(await curl(['-F', 'service=openscad', '-F', `fileIn0=@${part}`, `${url}/`]))
    assert.equal(rendered.status, 'complete', JSON.stringify(rendered))
    assert.match(rendered.id, /^\d+-\d{5}-\d{6}$/)
    assert.equal(rendered.service, 'openscad')
    assert.equal(rendered.out, `tasks/out/${rendered.id}.stl`)
    assert.equal(rendered.in, `tasks/in/${rendered.id}-0.scad`, 'the upload keeps its extension')
    assert.equal(rendered.server, 'renderer', 'the peer that rendered it')
    assert.equal(rendered.client, '127.0.0.1')
    assert.ok(Number(rendered.etime) >= Number(rendered.ctime))
    const jobs = await jobsOf(mesh.gateway)
    assert.ok(jobs.some(j => j.id === rendered.job && j.state === 'done'), 'the task is an ordinary mesh job in `meshnode jobs`')
  })

  await t.test('GET /tasks/out/... gives the STL and /tasks/log/ID the job\'s log', async () => {
    const stl = await curl([`${url}/${rendered.out}`])
    assert.match(stl, /^solid /)
    assert.match(stl, /facet normal/)
    const log = await curl([`${url}/tasks/log/${rendered.id}`])
    assert.match(log, /scad/)
    assert.match(log, /renderer/)
  })

  await t.test('format=json answers one flat object of strings; service=info lists every task', async () => {
    const one = JSON.parse(await curl(['-F', 'service=info', '-F', `id=${rendered.id}`, '-F', 'format=json', `${url}/`]))
    assert.equal(one.id, rendered.id)
    assert.ok(Object.values(one).every(v => typeof v === 'string'))
    const all = JSON.parse(await curl([`${url}/?service=info&format=json`]))
    assert.ok(Array.isArray(all) && all.some((task: any) => task.id === rendered.id))
    const text = await curl([`${url}/?service=status`])
    assert.ok(text.includes(`id: ${rendered.id}\n`))
  })

  await t.test('the JQuery client\'s urlencoded POST and a GET query submit with the file as content', async () => {
    const posted = await fetch(`${url}/`, { method: 'POST', body: new URLSearchParams({ service: 'openscad', fileIn0: 'sphere(3);', format: 'json' }), signal: AbortSignal.timeout(240_000) })
    assert.equal(posted.headers.get('access-control-allow-origin'), '*')
    const task = JSON.parse(await posted.text())
    assert.equal(task.status, 'complete', JSON.stringify(task))
    assert.equal(task.in, `tasks/in/${task.id}-0.scad`, 'content with no name takes the service\'s input type')
    const queried = parseRelayReply(await curl([`${url}/?service=openscad&fileIn0=${encodeURIComponent('cylinder(h=2, r=3);')}`]))
    assert.equal(queried.status, 'complete', JSON.stringify(queried))
    assert.match(await curl([`${url}/${queried.out}`]), /^solid /)
  })

  await t.test('the sync poll loop sees busy, then complete; the notifier is called with $id and $myip replaced', async (t) => {
    const calls: Array<{ url: string, from: string }> = []
    const hook = createServer((request, response) => { calls.push({ url: request.url ?? '', from: request.socket.remoteAddress ?? '' }); response.end('ok') })
    await new Promise<void>(resolve => hook.listen(0, '127.0.0.1', resolve))
    t.after(() => { hook.close() })
    const port = (hook.address() as { port: number }).port
    const input = join(dir, 'data.txt')
    await writeFile(input, 'some data\n')
    // Held until the slow task ends; meanwhile a second client polls as the relay's info loop does.
    const held = curl(['-F', 'service=slow', '-F', `fileIn0=@${input}`, '-F', `notifier=http://$myip:${port}/done?$id`, `${url}/`])
    const busy = await waitFor(async () => {
      const listed = (await curl(['-F', 'service=info', `${url}/`])).split('\n')
      return listed.includes('service: slow') && listed.includes('status: busy')
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the slow task to be listed busy' })
    assert.ok(busy)
    const submitted = parseRelayReply(await held)
    assert.equal(submitted.status, 'complete', JSON.stringify(submitted))
    assert.equal(submitted.notifier, `http://127.0.0.1:${port}/done?${submitted.id}`)
    let polled: Record<string, string> = {}
    for (let round = 0; round < 30 && polled.status !== 'complete' && polled.status !== 'failed'; round++) {
      polled = parseRelayReply(await curl(['-F', 'service=info', '-F', `id=${submitted.id}`, `${url}/`]))
    }
    assert.equal(polled.status, 'complete')
    assert.equal(await curl([`${url}/${polled.out}`]), 'some data\n')
    await waitFor(() => calls.length > 0, { timeoutMs: 30_000, what: 'the notifier to be called' })
    assert.deepEqual(calls.map(c => c.url), [`/done?${submitted.id}`])
    assert.match(calls[0].from, /127\.0\.0\.1/)
  })

  await t.test('a --load= config uploaded with slic3r slices with its settings', { skip: prusaMissing }, async () => {
    await mesh.slicer.reload({ ...mesh.slicer.config, tools: { ...mesh.slicer.config.tools, embedded: { openscad: false, cura: false } } })
    await waitFor(() => mesh.gateway.capabilities.peers().find(p => p.name === 'slicer')?.record.tools.every(tool => !tool.embedded), { timeoutMs: 30_000, what: 'the slicer to slice with PrusaSlicer only' })
    const stl = join(dir, 'part.stl')
    await writeFile(stl, await curl([`${url}/${rendered.out}`]))
    const conf = join(dir, 'coarse.conf')
    await writeFile(conf, '# slic3r config\nlayer_height = 0.3\nfill_density = 35%\npost_process = /bin/false\n')
    const sliced = parseRelayReply(await curl(['-F', 'service=slic3r', '-F', `fileIn0=@${conf}`, '-F', 'prearg0=--load=', '-F', `fileIn1=@${stl}`, `${url}/`]))
    assert.equal(sliced.status, 'complete', JSON.stringify(sliced))
    assert.equal(sliced.out, `tasks/out/${sliced.id}.gcode`)
    const gcode = await curl([`${url}/${sliced.out}`])
    assert.match(gcode, /^; layer_height = 0\.3$/m)
    assert.match(gcode, /^; fill_density = 35%$/m)
    assert.doesNotMatch(gcode, /^; post_process = \/bin\/false/m)
    const plain = parseRelayReply(await curl(['-F', 'service=slicer', '-F', `fileIn0=@${stl}`, `${url}/`]))
    assert.match(await curl([`${url}/${plain.out}`]), /^; layer_height = 0\.2$/m, 'without --load= the profile\'s own settings')
  })

  await t.test('on a peer that slices with CuraEngine, the --load= settings become Cura\'s', async () => {
    const cura = { ...mesh.slicer.config.tools, prusaSlicer: false as const, slic3r: false as const, curaEngine: false as const, embedded: { openscad: false, cura: true } }
    await mesh.slicer.reload({ ...mesh.slicer.config, tools: cura })
    await waitFor(() => mesh.gateway.capabilities.peers().find(p => p.name === 'slicer')?.record.tools.every(tool => tool.embedded && tool.name === 'curaengine'), { timeoutMs: 30_000, what: 'the slicer to slice with the embedded CuraEngine only' })
    const stl = join(dir, 'cura.stl')
    await writeFile(stl, await curl([`${url}/${rendered.out}`]))
    const sliced = parseRelayReply(await curl(['-F', 'service=slic3r', '-F', 'fileIn0=layer_height = 0.3', '-F', 'prearg0=--load=', '-F', `fileIn1=@${stl}`, `${url}/`]))
    assert.equal(sliced.status, 'complete', JSON.stringify(sliced))
    assert.match(await curl([`${url}/${sliced.out}`]), /^;Layer height: 0\.3$/m)
  })

  await t.test('a prearg the service does not allow is refused in the task, and nothing runs', async () => {
    const before = (await jobsOf(mesh.gateway)).length
    const stl = join(dir, 'x.stl')
    await writeFile(stl, await curl([`${url}/${rendered.out}`]))
    const refused = parseRelayReply(await curl(['-F', 'service=slic3r', '-F', `fileIn0=@${stl}`, '-F', 'prearg0=--post-process=', '-F', `fileIn1=@${stl}`, `${url}/`]))
    assert.equal(refused.status, 'failed')
    assert.match(refused.error, /not approved prearg0: --post-process=/)
    assert.equal(refused.job, undefined)
    assert.equal((await jobsOf(mesh.gateway)).length, before, 'no mesh job was made')
    const badSetting = parseRelayReply(await curl(['-F', 'service=slic3r', '-F', 'fileIn0=layer_height = 9', '-F', 'prearg0=--load=', '-F', `fileIn1=@${stl}`, `${url}/`]))
    assert.equal(badSetting.status, 'failed')
    assert.match(badSetting.error, /layer_height must be a number from/)
    assert.equal((await jobsOf(mesh.gateway)).length, before)
  })

  await t.test('printrun with a device path prints on the mesh printer on that path', { skip: socatMissing }, async () => {
    const gcode = join(dir, 'part.gcode')
    await writeFile(gcode, 'G28\nG1 X10 Y10 F3000\nG1 X20 Y20\nM84\n')
    const wrong = parseRelayReply(await curl(['-F', 'service=printrun', '-F', 'arg0=/dev/ttyUSB77', '-F', `fileIn0=@${gcode}`, `${url}/`]))
    assert.equal(wrong.status, 'failed')
    assert.match(wrong.error, /no printer on \/dev\/ttyUSB77/)
    const printed = parseRelayReply(await curl(['-F', 'service=printrun', '-F', `nativeArgs=${DEVICE}`, '-F', `fileIn0=@${gcode}`, `${url}/`]))
    assert.equal(printed.status, 'complete', JSON.stringify(printed))
    assert.equal(printed.out, undefined, 'printrun has no output, as in the relay')
    const recorded = await readFile(mesh.record, 'latin1')
    assert.match(recorded, /G1 X20 Y20/)
  })

  await t.test('kill ends a busy task failed, and its job is cancelled', async () => {
    const input = join(dir, 'kill.txt')
    await writeFile(input, 'to be killed\n')
    const held = curl(['-F', 'service=slow', '-F', `fileIn0=@${input}`, `${url}/`])
    const id = await waitFor(async () => {
      const tasks = JSON.parse(await curl([`${url}/?service=info&format=json`])) as Array<Record<string, string>>
      return tasks.find(task => task.status === 'busy' && task.service === 'slow' && task.job != null)?.id
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the task to kill to be busy' })
    const killed = parseRelayReply(await curl(['-F', 'service=kill', '-F', `id=${id}`, `${url}/`]))
    assert.equal(killed.status, 'failed')
    assert.equal(parseRelayReply(await held).status, 'failed', 'the held submit reply ends too')
    assert.equal((await jobsOf(mesh.gateway)).find(j => j.id === killed.job)?.state, 'cancelled')
  })

  await t.test('meta answers the relay\'s fields; a browser gets the task list page', async () => {
    const metaText = await curl(['-F', 'service=meta', `${url}/`])
    const meta = parseRelayReply(metaText)
    assert.equal(meta.version, 'RepRapCloud 0.019')
    assert.equal(meta.serverName, 'gateway')
    assert.equal(meta.maxDataRetention, '24')
    assert.equal(meta.timeout, '1800')
    assert.match(meta.uptime, /^\d[\d,]*d \d\dh \d\dm \d\ds$/)
    assert.equal(meta.services, 'echo,openscad,printrun,slic3r,slicer,slow')
    // A one-digit count is below the client's two-character rule, so it is read from the raw line.
    const listed = (JSON.parse(await curl([`${url}/?service=info&format=json`])) as unknown[]).length
    assert.match(metaText, new RegExp(`^tasks: ${listed}$`, 'm'))
    assert.ok(listed >= 5)
    const page = await curl(['-A', 'Mozilla/5.0 (X11; Linux x86_64)', `${url}/`])
    assert.match(page, /<title>RepRapCloud tasks<\/title>/)
    assert.match(page, /service=info&format=json/)
  })

  await t.test('a restarted node lists the same tasks; past maxDataRetention they leave the list', async (t) => {
    const before = JSON.parse(await curl([`${url}/?service=info&format=json`])) as Array<Record<string, string>>
    const config = mesh.gateway.config
    await stopPeer(mesh.gateway)
    const again = await startPeer(t, dir, 'gateway', c => { Object.assign(c, { ...config, printers: [], gateways: { reprapcloud: { ...config.gateways.reprapcloud, listen: '127.0.0.1:0' } } }) })
    const after = JSON.parse(await curl([`${relayUrl(again)}/?service=info&format=json`])) as Array<Record<string, string>>
    assert.deepEqual(after.map(task => [task.id, task.status, task.job]), before.map(task => [task.id, task.status, task.job]))
    again.config.gateways.reprapcloud.maxDataRetentionHours = 0
    await new Promise(resolve => setTimeout(resolve, 1100))
    assert.equal(await curl([`${relayUrl(again)}/?service=info`]), '')
    assert.match(await curl([`${relayUrl(again)}/?service=info&id=${rendered.id}`]), /^error: no such task$/m)
  })
})
