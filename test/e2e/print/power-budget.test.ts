import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { withDaemon } from '../../../src/cli/run-action.js'
import { jobDetail } from '../../../src/cli/job-view.js'
import { parsePowerConfig } from '../../../src/printer/power-config.js'
import { jobEnded, startPeer, tempDir } from '../../market/mesh-fixture.js'
import { runNode } from '../../lan/run-node.js'
import { waitFor } from '../../lan/wait.js'
import { sampleGcode } from './printer-record.js'
import { virtualPrinterSection, withVirtualPrinter } from '../../printer/virtual-printer-peer.js'
import type { NodeConfig } from '../../../src/config/node-config.js'
import type { MeshNode } from '../../../src/node/mesh-node.js'

const BIN = join(import.meta.dirname, '../../../src/bin/meshnode.js')
/** Short leases, so a dead holder's slot frees in seconds; the default is 10 s renewed every 3 s. */
const LEASE = { leaseMs: 3000, renewMs: 1000 }

const heatLogOf = (dir: string, printer: string): string => join(dir, `${printer}.heat.log`)

const powered = (dir: string, printer: string, group: string, maxHeating: number, speedUp: number) => (c: NodeConfig): void => {
  withVirtualPrinter(printer, { speedUp, heatLogFile: heatLogOf(dir, printer) })(c)
  c.power = parsePowerConfig({ group, maxHeating, ...LEASE }, 'power')
}

interface HeatEvent { at: number, heater: string, what: 'set' | 'reached', celsius: number }

function heatLog (file: string): HeatEvent[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l !== '').map(line => {
    const [at, heater, what, celsius] = line.split(' ')
    return { at: Number(at), heater, what: what as HeatEvent['what'], celsius: Number(celsius) }
  })
}

/** The printer's heat-up, from its own log: from the first target above zero until the last heater wait ended. */
function heatUp (file: string): { from: number, to: number } {
  const events = heatLog(file)
  const from = events.find(e => e.what === 'set' && e.celsius > 0)?.at
  const to = events.filter(e => e.what === 'reached').at(-1)?.at
  assert.ok(from !== undefined && to !== undefined && to >= from, `${file} shows no whole heat-up: ${JSON.stringify(events)}`)
  return { from, to }
}

/** The most heat-ups under way at one instant. */
function mostAtOnce (spans: Array<{ from: number, to: number }>): number {
  // An end at the same millisecond as a start is counted first: the slot was given back before it was taken.
  const edges = spans.flatMap(s => [{ at: s.from, delta: 1 }, { at: s.to, delta: -1 }]).sort((a, b) => a.at - b.at || a.delta - b.delta)
  let now = 0
  let most = 0
  for (const edge of edges) most = Math.max(most, now += edge.delta)
  return most
}

async function printersSeenBy (node: MeshNode): Promise<Array<{ name: string, state: string }>> {
  return await withDaemon(node.config.dataDir, async c => c.call('printers'))
}

test('power budget: four printers with maxHeating 2 never heat more than two at once, and all four print', async (t) => {
  const dir = await tempDir(t, 'meshnode-power-')
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const pis: MeshNode[] = []
  for (let i = 1; i <= 4; i++) pis.push(await startPeer(t, dir, `pi-${i}`, powered(dir, `p${i}`, 'bench-a', 2, 10)))
  for (const pi of pis) {
    await laptop.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
    for (const other of pis) if (other !== pi) await pi.libp2p.dial(other.libp2p.getMultiaddrs()[0])
  }
  await waitFor(async () => laptop.capabilities.peers().filter(p => p.record.offers.includes('print')).length === 4, { timeoutMs: 20_000, what: 'the laptop to see the four printer peers' })

  const submitted = []
  for (let i = 1; i <= 4; i++) {
    const file = join(dir, `part-${i}.gcode`)
    await writeFile(file, sampleGcode(3, i))
    const [job] = await laptop.jobs.submit({ files: [file], extra: [], pipeline: ['print'], options: { params: {}, printer: `p${i}` } })
    submitted.push(job)
  }
  const waiting = await waitFor(async () => (await printersSeenBy(laptop)).find(p => p.state === 'waiting-for-power'), { timeoutMs: 60_000, intervalMs: 100, what: 'a printer the laptop sees waiting for power' })
  assert.match(waiting.name, /^p[1-4]$/)
  for (const job of submitted) {
    const ended = await jobEnded(laptop, job.id, 180_000)
    assert.equal(ended.state, 'done', jobDetail(ended))
  }
  const spans = [1, 2, 3, 4].map(i => heatUp(heatLogOf(dir, `p${i}`)))
  assert.equal(mostAtOnce(spans), 2, `heat-ups (ms): ${JSON.stringify(spans)}`)
})

test('power budget: a printer whose peer dies while heating frees its slot when its lease lapses', async (t) => {
  const dir = await tempDir(t, 'meshnode-power-kill-')
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const survivor = await startPeer(t, dir, 'pi-6', powered(dir, 'p6', 'bench-b', 1, 10))
  await laptop.libp2p.dial(survivor.libp2p.getMultiaddrs()[0])
  const address = (node: MeshNode): string => `${node.libp2p.getMultiaddrs()[0].toString()}`

  // The doomed peer is a process of its own, so it can die without a word: SIGKILL.
  const config = {
    name: 'pi-5',
    dataDir: join(dir, 'pi-5'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: { enabled: false },
    open: true,
    peers: [address(laptop), address(survivor)],
    offers: ['print'],
    // Heats at real speed: it holds the only slot for a minute unless it dies first.
    printers: [virtualPrinterSection('p5', { speedUp: 1, heatLogFile: heatLogOf(dir, 'p5') })],
    power: { group: 'bench-b', maxHeating: 1, ...LEASE },
    trust: { print: ['*'] },
    http: { listen: '127.0.0.1:0' },
    tools: { embedded: { openscad: false, cura: false } }
  }
  const configFile = join(dir, 'pi-5.json')
  await writeFile(configFile, JSON.stringify(config))
  const doomed = runNode([BIN, 'start', '--config', configFile], { timeoutMs: 300_000, untilStdout: 'ready' })
  t.after(async () => {
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill('SIGKILL')
    await doomed.done
  })
  await doomed.sawLine
  await waitFor(async () => laptop.capabilities.peers().filter(p => p.record.offers.includes('print')).length === 2, { timeoutMs: 30_000, what: 'the laptop to see both printer peers' })
  await waitFor(async () => survivor.capabilities.peers().some(p => p.name === 'pi-5'), { timeoutMs: 30_000, what: 'pi-6 to see pi-5' })

  const submit = async (printer: string, tag: number): Promise<string> => {
    const file = join(dir, `part-${tag}.gcode`)
    await writeFile(file, sampleGcode(3, tag))
    const [job] = await laptop.jobs.submit({ files: [file], extra: [], pipeline: ['print'], options: { params: {}, printer } })
    return job.id
  }
  const doomedJob = await submit('p5', 5)
  await waitFor(() => heatLog(heatLogOf(dir, 'p5')).some(e => e.what === 'set' && e.celsius > 0), { timeoutMs: 60_000, what: 'p5 to start heating' })
  const survivorJob = await submit('p6', 6)
  await waitFor(async () => (await printersSeenBy(laptop)).find(p => p.name === 'p6' && p.state === 'waiting-for-power'), { timeoutMs: 60_000, what: 'p6 waiting for power while p5 heats' })

  const shown = runNode([BIN, 'printers', '--data-dir', laptop.config.dataDir], { timeoutMs: 60_000 })
  const listing = await shown.done
  assert.equal(listing.code, 0, listing.stderr)
  assert.match(listing.stdout, /p6\s+waiting for power/, '"meshnode printers" says so')
  const group = await withDaemon(survivor.config.dataDir, async c => c.call('power'))
  assert.deepEqual(group.slots.map((s: { printer: string, state: string }) => [s.printer, s.state]), [['p5', 'heating'], ['p6', 'waiting']], JSON.stringify(group))
  assert.equal(heatLog(heatLogOf(dir, 'p6')).filter(e => e.what === 'set' && e.celsius > 0).length, 0, 'p6 has not heated')

  const killedAt = Date.now()
  doomed.child.kill('SIGKILL')
  await doomed.done
  const ended = await jobEnded(laptop, survivorJob, 180_000)
  assert.equal(ended.state, 'done', jobDetail(ended))
  const p6 = heatUp(heatLogOf(dir, 'p6'))
  assert.ok(p6.from >= killedAt, 'p6 heated only once pi-5 was gone')
  await laptop.jobs.cancel(doomedJob).catch(() => {})
})
