import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { MID_UPDATE } from '../../src/admin/update-turn.js'
import { packageVersion } from '../../src/paths.js'
import { waitFor } from '../lan/wait.js'
import { cli } from './admin-fixture.js'
import { buildPackage, startFleet, type Fleet, type SupervisedNode } from './update-fixture.js'
import type { FleetEntry } from '../../src/admin/fleet-reports.js'

const installed = packageVersion()

async function meshFormed (fleet: Fleet): Promise<void> {
  for (const node of fleet.nodes) {
    await waitFor(async () => (await node.status())?.length === fleet.nodes.length, { timeoutMs: 60_000, what: `${node.name} to hear from every node` }).catch(withOutput(fleet.nodes))
  }
}

/** The daemons' own words say why a node did not get there. */
function withOutput (nodes: SupervisedNode[]): (err: Error) => never {
  return err => {
    err.message += `\n${nodes.map(n => `--- ${n.name}\n${n.output.slice(-2000)}`).join('\n')}`
    throw err
  }
}

async function update (fleet: Fleet, pkg: string, parallel: number, flags: string[] = []): Promise<{ code: number, stdout: string, stderr: string }> {
  const deadline = flags.includes('--deadline') ? [] : ['--deadline', '60']
  return cli(['admin', 'update', '--to', 'fleet', '--parallel', String(parallel), ...deadline, '--key', fleet.admin.keyFile, '--data-dir', fleet.nodes[0].dataDir, ...flags, pkg])
}

async function sent (sending: Promise<{ code: number, stdout: string, stderr: string }>): Promise<void> {
  const run = await sending
  assert.equal(run.code, 0, run.stderr + run.stdout)
}

/** Each node's own report, undefined for one that is down; polled until `done`, keeping the most that were away at once. */
async function follow (nodes: SupervisedNode[], done: (views: Array<FleetEntry | undefined>) => boolean, what: string, before = async () => {}): Promise<{ views: FleetEntry[], mostAway: number }> {
  let mostAway = 0
  const views = await waitFor(async () => {
    await before()
    const views = await Promise.all(nodes.map(async node => node.self()))
    mostAway = Math.max(mostAway, views.filter(v => v == null || MID_UPDATE.includes(v.updateState)).length)
    return done(views) && views as FleetEntry[]
  }, { timeoutMs: 150_000, intervalMs: 300, what }).catch(withOutput(nodes))
  return { views, mostAway }
}

test('a rolling update moves every node to the new version, at most two at a time', async (t) => {
  const fleet = await startFleet(stop => { t.after(stop) }, ['u1', 'u2', 'u3'])
  await meshFormed(fleet)
  // The admin follows the rollout from node 0, which is itself one of the targets.
  const following = update(fleet, await buildPackage(fleet.dir, '9.0.0'), 2, ['--wait', '110'])

  const { views, mostAway } = await follow(fleet.nodes, views => views.every(v => v?.version === '9.0.0' && v.updateState === 'updated'), 'every node to run 9.0.0')
  const followed = await following
  assert.equal(followed.code, 0, followed.stderr + followed.stdout)
  for (const node of fleet.nodes) assert.match(followed.stdout, new RegExp(`^  ${node.name} +updated: healthy`, 'm'))
  assert.ok(mostAway <= 2, `${mostAway} nodes were away at once`)
  for (const view of views) assert.match(view.updateReason, /^healthy/)
  // Each node restarted into the new version once, by itself.
  for (const node of fleet.nodes) assert.ok(node.starts >= 2, `${node.name} started ${node.starts} times`)
  const log = await cli(['admin', 'log', '--data-dir', fleet.nodes[1].dataDir])
  assert.match(log.stdout, new RegExp(`applied\\s+update:9\\.0\\.0 revision \\d+ from self: updated to 9\\.0\\.0 from the installed version`))
  const status = await cli(['admin', 'status', '--data-dir', fleet.nodes[2].dataDir])
  assert.match(status.stdout, /update to 9\.0\.0 \(revision \d+\): updated/)
})

test('an update that does not come up healthy is rolled back, and the rollout stops there with every node running', async (t) => {
  const fleet = await startFleet(stop => { t.after(stop) }, ['r1', 'r2', 'r3'])
  await meshFormed(fleet)
  await sent(update(fleet, await buildPackage(fleet.dir, '9.0.1', 'throw new Error(\'a broken build\')\n'), 1))

  const { views, mostAway } = await follow(fleet.nodes, views => views.every(v => v != null && ['rolled-back', 'halted'].includes(v.updateState)), 'one node to roll back and the others to halt')
  assert.ok(mostAway <= 1, `${mostAway} nodes were away at once: a node was left without a running peer`)
  for (const view of views) assert.equal(view.version, installed)
  const rolledBack = views.filter(v => v.updateState === 'rolled-back')
  assert.equal(rolledBack.length, 1, 'the rollout stops at the first node that rolled back')
  assert.match(rolledBack[0].updateReason, /version 9\.0\.1 stopped before it was healthy/)
  for (const view of views.filter(v => v.updateState === 'halted')) assert.match(view.updateReason, new RegExp(`${rolledBack[0].name} rolled back`))
  const node = fleet.nodes.find(n => n.name === rolledBack[0].name) as SupervisedNode
  const log = await cli(['admin', 'log', '--data-dir', node.dataDir])
  assert.match(log.stdout, /rejected\s+update:9\.0\.1 revision \d+ from self: rolled back: version 9\.0\.1 stopped before it was healthy/)
})

test('a version that hangs at start is stopped at the deadline and rolled back', async (t) => {
  const fleet = await startFleet(stop => { t.after(stop) }, ['h1', 'h2'])
  await meshFormed(fleet)
  await sent(update(fleet, await buildPackage(fleet.dir, '9.0.3', 'setInterval(() => {}, 60_000)\n'), 1, ['--deadline', '10']))

  const { views } = await follow(fleet.nodes, views => views.every(v => v != null && ['rolled-back', 'halted'].includes(v.updateState)), 'the hung node to roll back and the other to halt')
  for (const view of views) assert.equal(view.version, installed)
  const rolledBack = views.filter(v => v.updateState === 'rolled-back')
  assert.equal(rolledBack.length, 1)
  assert.match(rolledBack[0].updateReason, /version 9\.0\.3 was not healthy within 10 s/)
})

test('a node whose printer is printing updates only once its print has ended, and the others go on meanwhile', async (t) => {
  const fleet = await startFleet(stop => { t.after(stop) }, ['p1', 'p2'], (name, config) => {
    if (name === 'p1') config.printers = [{ name: 'vp', port: 'virtual', material: 'PLA', nozzleMm: 0.4, bed: { x: 200, y: 200, z: 200 }, bedClearsItself: false }]
  })
  const [printing, other] = fleet.nodes
  await meshFormed(fleet)
  // A print that dwells long enough for the other node's whole update.
  const gcode = join(fleet.dir, 'long.gcode')
  await writeFile(gcode, 'G28\nG4 P25000\nM84\n')
  const submitted = await cli(['submit', gcode, '--pipeline', 'print', '--printer', 'vp', '--detach', '--data-dir', printing.dataDir])
  assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout)
  const printerState = async (): Promise<string | undefined> => (await printing.call<Array<{ name: string, state: string }>>('printers'))?.find(p => p.name === 'vp')?.state
  await waitFor(async () => await printerState() === 'printing', { timeoutMs: 60_000, what: 'the virtual printer to print' })
  await sent(update(fleet, await buildPackage(fleet.dir, '9.0.2'), 2))

  let otherUpdatedMidPrint = false
  let printEnded = false
  let awayMidPrint = false
  let waitedForPrint = false
  await follow(fleet.nodes, views => {
    const [p1, p2] = views
    if (p1?.updateState === 'waiting-for-print') waitedForPrint = true
    if (!printEnded && (p1 == null || MID_UPDATE.includes(p1.updateState))) awayMidPrint = true
    if (!printEnded && p2?.updateState === 'updated') otherUpdatedMidPrint = true
    return views.every(v => v?.version === '9.0.2')
  }, 'both nodes to run 9.0.2', async () => { printEnded ||= !['printing', undefined].includes(await printerState()) })
  assert.ok(waitedForPrint, 'the printing node said it waits for its print')
  assert.ok(!awayMidPrint, 'the printing node restarted while it printed')
  assert.ok(otherUpdatedMidPrint, `${other.name} updated while the printer printed`)
})
