import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { packageRoot } from '../../../src/paths.js'
import { createLan } from '../../lan/harness.js'
import { assertRecordHolds, cliJson, gcodeCommands, peerArgs, readRecord, waitForMesh, writePrinterConfig } from '../print/printer-record.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** Render, slice and a few thousand G-code lines with resends, on a busy 2-core machine: bounded, with room. */
const PIPELINE_TIMEOUT_MS = 240_000

test('end to end: a laptop submits bracket.scad through scad,slice,print; a workstation, a build server and a printer Pi each run their stage', async (t) => {
  const lan = await createLan(t, { size: 4 })
  // About one line in twenty comes back as a checksum error: the sender must resend it, and the printer must
  // still run every command exactly once.
  const printer = writePrinterConfig(lan.dir, { name: 'mk3', material: 'PLA', bedClearsItself: true, faults: ['resend:0.05'], seed: 20240611, baud: 1000000 })
  const roles = [
    { name: 'workstation', args: ['--offer', 'scad'] },
    { name: 'build-server', args: ['--offer', 'slice'] },
    { name: 'printer-pi', args: ['--config', printer.configFile, '--offer', 'print'] },
    { name: 'laptop', args: ['--offer', 'none'] }
  ]
  const nodes = await lan.startAll((i) => ({ name: roles[i].name, args: [...roles[i].args, ...peerArgs(lan, i)] }))
  const [workstation, buildServer, printerPi, laptop] = nodes
  await waitForMesh(lan, nodes)

  const design = join(packageRoot(), 'examples', 'bracket.scad')
  const submitted = await lan.runCli(laptop, ['submit', design, '--pipeline', 'scad,slice,print', '-D', 'width=30', '--json'], PIPELINE_TIMEOUT_MS)
  assert.equal(submitted.code, 0, `submit exited ${String(submitted.code)}: ${submitted.stderr}\n${submitted.stdout.slice(-2000)}`)
  const [finished] = JSON.parse(submitted.stdout) as JobRecord[]
  assert.equal(finished.state, 'done')

  const job = await cliJson<JobRecord>(lan, laptop, ['job', finished.id])
  assert.equal(job.state, 'done')
  assert.deepEqual(job.stages.map(s => [s.kind, s.state, s.peerName, s.peerId]), [
    ['scad', 'done', 'workstation', workstation.peerId],
    ['slice', 'done', 'build-server', buildServer.peerId],
    ['print', 'done', 'printer-pi', printerPi.peerId]
  ], 'job --json names the peer that ran each stage')
  assert.equal(job.stages[1].input?.hash, job.stages[0].output?.hash, 'the slicer got the STL the scad stage made')
  assert.equal(job.stages[2].input?.hash, job.stages[1].output?.hash, 'the printer got the G-code the slice stage made')

  const gcodeFile = join(lan.dir, 'sliced.gcode')
  const got = await lan.runCli(laptop, ['get', finished.id, '--stage', '2', '-o', gcodeFile], 60_000)
  assert.equal(got.code, 0, `get --stage 2 exited ${String(got.code)}: ${got.stderr}`)
  assert.match(got.stdout, new RegExp(`sha256 ${job.stages[1].output?.hash ?? '?'}`), 'get --stage 2 wrote the slice stage\'s output')
  const commands = gcodeCommands(readFileSync(gcodeFile, 'utf8'))
  assert.ok(commands.length > 1000, `the sliced bracket has real G-code in it: ${commands.length} commands`)
  assertRecordHolds(readRecord(printer.recordFile), [{ label: 'the G-code the slice stage made', commands }])

  const reportFile = join(lan.dir, 'report.json')
  const report = await lan.runCli(laptop, ['get', finished.id, '--stage', '3', '-o', reportFile], 60_000)
  assert.equal(report.code, 0, `get exited ${String(report.code)}: ${report.stderr}`)
  const printed = JSON.parse(readFileSync(reportFile, 'utf8')) as { printer: string, job: string, linesAcked: number }
  assert.deepEqual([printed.printer, printed.job], ['mk3', finished.id])
  assert.equal(printed.linesAcked, commands.length, 'the print report counts every command of the file, once')
})
