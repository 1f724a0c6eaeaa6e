import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { quote } from 'shell-quote'
import { meshnodeBin } from '../../../src/paths.js'
import { createLan } from '../../lan/harness.js'
import { NOOP, sha256 } from '../faults/faults-helpers.js'
import { cliJson, peerArgs, waitForMesh, writePrinterConfig } from '../print/printer-record.js'
import { assertGcode, jobList } from './jobs-helpers.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** Render, slice and print a small plate on a shared 2-core machine: bounded, with room. */
const JOB_TIMEOUT_MS = 180_000
const PLATE = 'difference() {\n  cube([12, 10, 2]);\n  translate([6, 5, -1]) cylinder(d = 3, h = 4, $fn = 12);\n}\n'
const HOSTILE = 'x ; rm -rf ~'

/**
 * A workshop peer that renders, slices, prints on a virtual printer and runs `upper` (a custom service), and a
 * laptop that offers nothing; the laptop knows a service `noop` of its own that no peer offers.
 */
describe('what submit says and what get writes, through real peers', () => {
  let lan: Lan
  let workshop: MeshNode
  let laptop: MeshNode
  let designs: string

  const design = (name: string): string => {
    const path = join(designs, name)
    writeFileSync(path, PLATE)
    return path
  }

  /** A command line run by `sh` as a user would, in a new folder `name` of its own, with `meshnode` on PATH. */
  const inShell = (name: string, line: string, files: Record<string, string> = {}): { status: number | null, stderr: string, cwd: string } => {
    const bin = join(lan.dir, 'bin')
    if (!existsSync(bin)) {
      mkdirSync(bin)
      writeFileSync(join(bin, 'meshnode'), `#!/bin/sh\nexec '${process.execPath}' '${meshnodeBin}' "$@"\n`)
      chmodSync(join(bin, 'meshnode'), 0o755)
    }
    const cwd = join(lan.dir, name)
    const home = join(lan.dir, `${name}-home`)
    mkdirSync(cwd)
    mkdirSync(home)
    for (const [file, text] of Object.entries(files)) writeFileSync(join(cwd, file), text)
    const run = spawnSync('sh', ['-c', line], { cwd, env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home }, encoding: 'utf8', timeout: 60_000 })
    return { status: run.status, stderr: run.stderr, cwd }
  }

  before(async () => {
    lan = await createLan(undefined, { size: 2 })
    designs = join(lan.dir, 'designs')
    mkdirSync(designs)
    const printer = writePrinterConfig(lan.dir, { name: 'mk3', bedClearsItself: true, baud: 1000000 })
    const workshopConfig = JSON.parse(readFileSync(printer.configFile, 'utf8'))
    writeFileSync(printer.configFile, JSON.stringify({ ...workshopConfig, services: [{ ...NOOP, name: 'upper' }] }))
    const laptopConfig = join(lan.dir, 'laptop.json')
    writeFileSync(laptopConfig, JSON.stringify({ services: [NOOP], offers: [] }))
    ;[workshop, laptop] = await lan.startAll((i) => ({
      name: i === 0 ? 'workshop' : 'laptop',
      args: [...(i === 0 ? ['--config', printer.configFile, '--offer', 'scad,slice,print,upper'] : ['--config', laptopConfig]), ...peerArgs(lan, i)]
    }))
    await waitForMesh(lan, [workshop, laptop])
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('get without --stage on a scad,slice,print job writes the G-code, not the print report, and says which stage it wrote', async () => {
    const [job] = await cliJson<JobRecord[]>(lan, laptop, ['submit', design('part.scad'), '--pipeline', 'scad,slice,print'], JOB_TIMEOUT_MS)
    assert.equal(job.state, 'done', `the print job ended ${job.state}: ${job.error ?? job.stages.find(s => s.error != null)?.error ?? ''}`)
    const gcode = job.stages[1].output
    assert.ok(gcode != null)

    const file = join(lan.dir, 'x.gcode')
    const got = await lan.runCli(laptop, ['get', job.id, '-o', file], 60_000)
    assert.equal(got.code, 0, got.stderr)
    const written = readFileSync(file)
    assert.equal(sha256(written), gcode.hash, 'x.gcode holds the slice stage\'s G-code')
    assertGcode(written.toString('utf8'), 'x.gcode')
    assert.equal(got.stdout.trim(), `wrote ${file}: part.gcode, the output of stage 2 (slice), ${gcode.size} bytes, sha256 ${gcode.hash} (the print stage's report is --stage 3)`)

    const here = inShell('here', quote(['meshnode', 'get', job.id, '--data-dir', laptop.dataDir]))
    assert.equal(here.status, 0, here.stderr)
    assert.deepEqual(readdirSync(here.cwd), ['part.gcode'], 'without -o, get writes the G-code under its own name in this folder')

    const report = join(lan.dir, 'report.json')
    const asked = await lan.runCli(laptop, ['get', job.id, '--stage', '3', '-o', report], 60_000)
    assert.equal(asked.code, 0, asked.stderr)
    assert.match(asked.stdout, /the output of stage 3 \(print\)/)
    assert.equal((JSON.parse(readFileSync(report, 'utf8')) as { job: string }).job, job.id, '--stage 3 still gives the print report')
  })

  it('an identical design under a hostile name is answered from cache, named after its own file, and the printed get line writes exactly that file', async () => {
    const [first] = await cliJson<JobRecord[]>(lan, laptop, ['submit', design('plate.scad'), '--pipeline', 'scad,slice'], JOB_TIMEOUT_MS)
    assert.equal(first.state, 'done')
    const submitted = await lan.runCli(laptop, ['submit', design(`${HOSTILE}.scad`), '--pipeline', 'scad,slice'], JOB_TIMEOUT_MS)
    assert.equal(submitted.code, 0, submitted.stderr)
    const second = (await jobList(lan, laptop)).find(j => j.input.name === `${HOSTILE}.scad`)
    assert.ok(second != null && second.state === 'done', `the second job is done: ${JSON.stringify(second?.stages.map(s => s.state))}`)

    assert.deepEqual(second.stages.map(s => s.cached), [true, true], 'both stages of the second job came from the cache')
    assert.deepEqual(second.stages.map(s => s.output?.hash), first.stages.map(s => s.output?.hash), 'the cache gave the same content')
    assert.deepEqual(first.stages.map(s => s.output?.name), ['plate.stl', 'plate.gcode'])
    assert.deepEqual(second.stages.map(s => s.output?.name), [`${HOSTILE}.stl`, `${HOSTILE}.gcode`], 'each job names its outputs after its own input')

    const line = /is ready: (.+)$/m.exec(submitted.stdout)?.[1]
    assert.ok(line != null, `submit suggests a get command: ${submitted.stdout}`)
    // The line pasted as it is; beside it, what an unquoted `; rm -rf ~.gcode` would remove.
    const pasted = inShell('paste', line, { '~.gcode': 'canary' })
    const cwd = pasted.cwd
    assert.equal(pasted.status, 0, `the pasted line exits 0: ${line}\n${pasted.stderr}`)
    assert.deepEqual(readdirSync(cwd).sort(), [`${HOSTILE}.gcode`, '~.gcode'], `the pasted line wrote exactly one file, and nothing else ran: ${line}`)
    assert.equal(sha256(readFileSync(join(cwd, `${HOSTILE}.gcode`))), second.stages[1].output?.hash)
    assert.equal(readFileSync(join(cwd, '~.gcode'), 'utf8'), 'canary')
  })

  it('a mistyped stage is refused at submit, naming the known ones, and nothing is stored; a stage no peer offers is said at once', async () => {
    const before = (await jobList(lan, laptop)).length
    const started = Date.now()
    const refused = await lan.runCli(laptop, ['submit', design('typo.scad'), '--pipeline', 'scad,frobnicate'])
    assert.equal(refused.code, 1, `submit with an unknown stage exits 1: ${refused.stdout}`)
    assert.ok(Date.now() - started < 10_000, `refused at once, not after rendering (${Date.now() - started} ms)`)
    assert.match(refused.stderr, /unknown stage "frobnicate"/)
    for (const known of ['scad', 'slice', 'print', 'upper', 'noop']) assert.ok(refused.stderr.includes(known), `the error lists ${known}: ${refused.stderr}`)
    assert.equal(refused.stdout, '')
    assert.equal((await jobList(lan, laptop)).length, before, 'no job was stored')

    const offered = await lan.runCli(laptop, ['submit', design('offered.scad'), '--pipeline', 'upper', '--detach'])
    assert.equal(offered.code, 0, offered.stderr)
    assert.equal(offered.stderr, '', 'a stage a peer offers gets no warning')

    const waiting = await lan.runCli(laptop, ['submit', design('waiting.scad'), '--pipeline', 'noop', '--detach'])
    assert.equal(waiting.code, 0, waiting.stderr)
    assert.match(waiting.stderr, /no peer offers noop right now; the job waits for one/)
    const id = waiting.stdout.trim()
    assert.match(id, /^j[0-9a-f]{12}$/, 'the job is stored and its id printed')
    const cancelled = await lan.runCli(laptop, ['cancel', id])
    assert.equal(cancelled.code, 0, cancelled.stderr)
  })
})
