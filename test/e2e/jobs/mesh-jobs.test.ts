import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { createLan, waitFor } from '../../lan/harness.js'
import { packageRoot } from '../../../src/paths.js'
import {
  assertGcode, assertStl, blobsOnDisk, jobList, jobView, parseJson, peerIdOf, processesMentioning, readBlob,
  logRuns, stageRuns, submitDetached, variantScad, waitJobsEnded
} from './jobs-helpers.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** The scad peer serves blobs with a cut after this many bytes, once per blob: only the big design reaches it. */
const CUT_AT_BYTES = 256 * 1024

/**
 * One LAN of four namespaces: node-0 offers scad (and cuts its big uploads once), node-1 offers slice,
 * node-2 offers nothing and submits everything, node-3 (scad and slice) joins for the batches. The
 * suites run in order and share the peers, as one workshop would.
 */
describe('jobs across the mesh', () => {
  let lan: Lan
  let scad: MeshNode
  let slice: MeshNode
  let requester: MeshNode
  let both: MeshNode | undefined
  let dir: string

  const designs = (): string => join(packageRoot(), 'examples')
  const write = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  // mDNS stays on, and each peer also names the ones started before it: these tests are about jobs, not
  // discovery (test/lan/peers.test.ts covers that), and a discovery hiccup must not read as a job failure.
  const others = (index: number): string[] => lan.namespaces.filter(ns => ns.index < index).flatMap(ns => ['--peer', `/ip4/${ns.address}/tcp/4001`])

  before(async () => {
    lan = await createLan(undefined, { size: 4 })
    dir = join(lan.dir, 'designs')
    mkdirSync(dir)
    ;[scad, slice, requester] = await Promise.all([
      lan.start(0, { args: ['--offer', 'scad', ...others(0)], env: logRuns({ ...process.env, MESHNODE_TEST_BLOB_FAULT: `cut:${CUT_AT_BYTES}` }) }),
      lan.start(1, { args: ['--offer', 'slice', ...others(1)], env: logRuns({ ...process.env, DEBUG: 'meshnode:blobs:fetch' }) }),
      lan.start(2, { args: ['--offer', 'none', ...others(2)] })
    ])
    await waitFor(async () => {
      const peers = await lan.peers(requester)
      return peers.some(p => p.peerId === scad.peerId && p.offers.includes('scad')) &&
        peers.some(p => p.peerId === slice.peerId && p.offers.includes('slice'))
    }, { timeoutMs: 20_000, intervalMs: 250, what: 'the requester to list the scad and the slice peer' })
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('scad on the scad peer, slice on the slice peer, the STL straight from one to the other, G-code back', async () => {
    const out = join(dir, 'bracket.gcode')
    const run = await lan.runCli(requester, ['submit', join(designs(), 'bracket.scad'), '--pipeline', 'scad,slice', '-D', 'width=20', '-o', out], 120_000)
    assert.equal(run.code, 0, `submit exits 0; stdout: ${run.stdout} stderr: ${run.stderr}`)
    assertGcode(readFileSync(out, 'utf8'), 'the -o file')
    const id = /^(j[0-9a-f]{12}) /m.exec(run.stdout)?.[1]
    assert.ok(id !== undefined, `submit names the job: ${run.stdout}`)

    const job = await jobView(lan, requester, id)
    assert.equal(job.state, 'done')
    const [render, slicing] = job.stages
    assert.equal(render.kind, 'scad')
    assert.equal(render.peerId, peerIdOf(scad), 'scad ran on the scad peer')
    assert.equal(slicing.kind, 'slice')
    assert.equal(slicing.peerId, peerIdOf(slice), 'slice ran on the slice peer')
    const stl = render.output
    assert.ok(stl !== undefined)
    assert.deepEqual(slicing.input?.holders, [peerIdOf(scad)], 'the slice peer was told to fetch the STL from the scad peer')
    assert.equal(slicing.input?.hash, stl.hash)
    assert.ok(blobsOnDisk(slice).has(stl.hash), 'the slice peer holds the STL it fetched')
    assert.ok(!blobsOnDisk(requester).has(stl.hash), 'the STL never passed through the requester\'s blob store')
    assertStl(readBlob(scad, stl.hash), 'the STL')
  })

  it('a design with a syntax error fails with OpenSCAD\'s message, submit exits non-zero, and the mesh keeps working', async () => {
    const broken = write('broken.scad', 'cube([10, 10, 10]\nsphere(5);\n')
    const run = await lan.runCli(requester, ['submit', broken], 60_000)
    assert.notEqual(run.code, 0, 'submit of a broken design exits non-zero')
    assert.match(run.stderr, /Parser error|syntax error/, 'submit says why')

    const id = (await jobList(lan, requester)).find(j => j.input.name === 'broken.scad')?.id
    assert.ok(id !== undefined)
    const job = await jobView(lan, requester, id)
    assert.equal(job.state, 'failed')
    assert.equal(job.stages[0].state, 'failed')
    assert.match(job.stages[0].error ?? '', /Parser error|syntax error/)
    assert.equal(job.stages[0].attempt, 1, 'an input error is not retried elsewhere')

    const good = await lan.runCli(requester, ['submit', join(designs(), 'box.scad'), '-D', 'length=30', '--json'], 120_000)
    const [after] = parseJson<JobRecord[]>(good, 'submit of a good design after the broken one')
    assert.equal(after.state, 'done')
  })

  it('the same design with the same params again: every stage comes from cache', async () => {
    const run = await lan.runCli(requester, ['submit', join(designs(), 'bracket.scad'), '--pipeline', 'scad,slice', '-D', 'width=20', '--json'], 120_000)
    const [job] = parseJson<JobRecord[]>(run, 'resubmitting bracket.scad')
    assert.equal(job.state, 'done')
    const view = await jobView(lan, requester, job.id)
    assert.deepEqual(view.stages.map(s => s.cached), [true, true], 'both stages say they came from cache')
    assert.deepEqual(view.stages.map(s => s.peerId), [peerIdOf(scad), peerIdOf(slice)])

    const other = await lan.runCli(requester, ['submit', join(designs(), 'bracket.scad'), '--pipeline', 'scad,slice', '-D', 'width=21', '--json'], 120_000)
    const [changed] = parseJson<JobRecord[]>(other, 'bracket.scad with another width')
    assert.equal(changed.stages[0].cached, false, 'another parameter value is rendered afresh')
  })

  it('cancel during a long render: the job ends cancelled and openscad is gone', async () => {
    const slow = write('slow.scad', 'difference() { sphere(r = 20, $fn = 150); translate([5, 0, 0]) sphere(r = 19, $fn = 150); }\n')
    const [id] = await submitDetached(lan, requester, [slow])
    const workDir = `/work/${id}-0-`
    const tool = await waitFor(() => {
      const procs = processesMentioning(workDir).filter(p => p.args.includes('openscad'))
      return procs.length > 0 ? procs : undefined
    }, { timeoutMs: 30_000, intervalMs: 200, what: `openscad to run job ${id}` })

    const cancel = await lan.runCli(requester, ['cancel', id])
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.match(cancel.stdout, new RegExp(`${id} cancelled`))
    await waitFor(() => processesMentioning(workDir).length === 0,
      { timeoutMs: 20_000, intervalMs: 250, what: `openscad (pid ${tool.map(p => p.pid).join(', ')}) to be gone after cancel` })
    const job = await jobView(lan, requester, id)
    assert.equal(job.state, 'cancelled')
    assert.equal(job.stages[0].state, 'cancelled')
  })

  it('a transfer cut halfway resumes at its offset and the slice gets the right STL', async () => {
    // Several times CUT_AT_BYTES as an ASCII STL (about 2 MB).
    const big = write('ball.scad', 'sphere(r = 20, $fn = 100);\n')
    const run = await lan.runCli(requester, ['submit', big, '--json'], 150_000)
    const [job] = parseJson<JobRecord[]>(run, 'submit of the big design')
    assert.equal(job.state, 'done', job.error)
    const stl = job.stages[0].output
    assert.ok(stl !== undefined)
    assert.ok(stl.size > 4 * CUT_AT_BYTES, `the STL (${stl.size} bytes) is several times the cut (${CUT_AT_BYTES})`)
    assert.equal(job.stages[1].peerId, peerIdOf(slice))
    assertStl(readBlob(slice, stl.hash), 'the slice peer\'s copy of the STL')
    assertGcode(readBlob(requester, job.result?.hash ?? '').toString('utf8'), 'the G-code')

    const logs = await lan.runCli(requester, ['logs', job.id])
    assert.equal(logs.code, 0, logs.stderr)
    const resumed = /resumed at byte (\d+)/.exec(logs.stdout)
    assert.ok(resumed !== null, `the job's log says the STL transfer resumed:\n${logs.stdout.slice(-2000)}`)
    assert.equal(Number(resumed[1]), CUT_AT_BYTES, 'it resumed where the cut was, not from zero')
    assert.match(readFileSync(slice.process.stderrPath, 'utf8'), new RegExp(`${stl.hash}: attempt failed at ${CUT_AT_BYTES} bytes`), 'the fetching peer logged the break')
  })

  it('a batch of 40 designs on four peers: all done, each stage once, work spread over the peers that offer it', async (t) => {
    both = await lan.start(3, { args: ['--offer', 'scad,slice', ...others(3)], env: logRuns() })
    const bothId = peerIdOf(both)
    await waitFor(async () => (await lan.peers(requester)).some(p => p.peerId === bothId && p.offers.includes('slice')),
      { timeoutMs: 20_000, intervalMs: 250, what: 'the requester to list node-3' })
    const files = Array.from({ length: 40 }, (_, i) => write(`v${i + 1}.scad`, variantScad(i + 1)))
    const ids = await submitDetached(lan, requester, files)
    assert.equal(ids.length, 40)
    const jobs = await waitJobsEnded(lan, requester, ids, 150_000)
    const executors = [scad, slice, both]
    let reawarded = 0

    for (const job of jobs) {
      assert.equal(job.state, 'done', `${job.id} (${job.input.name}): ${job.error ?? job.stages.map(s => s.error).join('; ')}`)
      for (const stage of job.stages) {
        assert.equal(stage.cached, false, `${job.id} stage ${stage.kind} ran (the designs differ)`)
        // A stage may be awarded again when an offer could not be delivered; it must still run only once.
        const runs = stageRuns(executors, job.id, stage.index)
        if (runs.length !== 1) {
          const history = (await jobView(lan, requester, job.id)).events.map(e => `${e.type} [${e.stage ?? '-'}] ${e.message}`)
          assert.fail(`${job.id} stage ${stage.kind} ran ${runs.length} times (${runs.join(', ')}):\n${history.join('\n')}`)
        }
        if (stage.attempt !== 1) reawarded++
      }
    }
    const scadPeers = new Set(jobs.map(j => j.stages[0].peerId))
    const slicePeers = new Set(jobs.map(j => j.stages[1].peerId))
    assert.ok([...scadPeers].every(p => p === scad.peerId || p === bothId), 'only scad peers rendered')
    assert.ok([...slicePeers].every(p => p === slice.peerId || p === bothId), 'only slice peers sliced')
    assert.equal(scadPeers.size, 2, 'both scad peers rendered some of the batch')
    assert.equal(slicePeers.size, 2, 'both slice peers sliced some of the batch')

    const byPeer = new Map([scad, slice, both].map(n => [n.peerId, n]))
    for (const job of jobs) {
      const stl = job.stages[0].output
      assert.ok(stl !== undefined)
      assertStl(readBlob(byPeer.get(job.stages[0].peerId) as MeshNode, stl.hash), `${job.input.name}'s STL`)
      assertGcode(readBlob(requester, job.result?.hash ?? '').toString('utf8'), `${job.input.name}'s G-code`)
    }
    t.diagnostic(`${reawarded} of 80 stages were awarded more than once (each still ran once)`)
  })

  it('kill -9 of the requester in the middle of a batch: after a restart every job completes', async () => {
    const files = Array.from({ length: 10 }, (_, i) => write(`k${i + 1}.scad`, variantScad(100 + i)))
    const ids = await submitDetached(lan, requester, files)
    await waitFor(async () => {
      const listed = (await jobList(lan, requester)).filter(j => ids.includes(j.id))
      return listed.some(j => j.stages.some(s => s.state === 'done')) && listed.some(j => j.state === 'running')
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the batch to be under way, some stages done and some jobs still running' })
    await lan.kill9(requester)
    await lan.restart(requester)

    const jobs = await waitJobsEnded(lan, requester, ids, 120_000)
    for (const job of jobs) {
      assert.equal(job.state, 'done', `${job.id}: ${job.error ?? job.stages.map(s => s.error).join('; ')}`)
      for (const stage of job.stages) {
        const runs = stageRuns([scad, slice, both as MeshNode], job.id, stage.index)
        assert.equal(runs.length, 1, `${job.id} stage ${stage.kind} ran once, not ${runs.join(', ')}`)
      }
      assertGcode(readBlob(requester, job.result?.hash ?? '').toString('utf8'), `${job.input.name}'s G-code`)
    }
  })
})
