import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { SOCKET_FILE, TOKEN_FILE } from '../../../src/api/constants.js'
import { ControlClient } from '../../../src/api/control-client.js'
import { createLan, waitFor } from '../../lan/harness.js'
import { logRuns, runsPerJob, waitJobsEnded } from '../jobs/jobs-helpers.js'
import { NOOP, writeConfig } from './faults-helpers.js'
import type { CliResult, Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** One node that submits to itself and runs its own no-op stages, logging each tool run. */
async function noopNode (lan: Lan): Promise<MeshNode> {
  const config = writeConfig(lan.dir, 'noop', { services: [NOOP], market: { bidWindowMs: 100 } })
  return lan.start(0, { args: ['--config', config, '--offer', 'noop', '--no-mdns'], env: logRuns() })
}

function submitParams (files: string[], requestId: unknown): Record<string, unknown> {
  return { files, pipeline: ['noop'], options: { params: {} }, requestId }
}

/** A call on a fresh control connection from this test process (the socket is a file, reachable from here). */
async function call<T> (node: MeshNode, method: string, params: unknown): Promise<T> {
  const client = await ControlClient.connect(node.dataDir)
  try {
    return await client.call<T>(method, params)
  } finally {
    client.close()
  }
}

/** Every job the node has, however old, by input name. */
async function jobsByName (node: MeshNode): Promise<Map<string, JobRecord[]>> {
  const byName = new Map<string, JobRecord[]>()
  for (const job of await call<JobRecord[]>(node, 'jobs', { all: true })) byName.set(job.input.name, [...(byName.get(job.input.name) ?? []), job])
  return byName
}

/** Sends a submit and hangs up without reading a byte: whatever the daemon answers is lost. */
async function submitAndHangUp (node: MeshNode, params: unknown): Promise<void> {
  const token = (await readFile(join(node.dataDir, TOKEN_FILE), 'utf8')).trim()
  const socket = connect(join(node.dataDir, SOCKET_FILE))
  socket.on('error', () => {})
  await once(socket, 'connect')
  await new Promise<void>(resolve => { socket.end(JSON.stringify({ token }) + '\n' + JSON.stringify({ id: 1, method: 'submit', params }) + '\n', resolve) })
  socket.destroy()
}

test('a submit whose reply is lost, sent again with its request id, to the same daemon or after a kill -9, gets the one job it stored', async (t) => {
  const lan = await createLan(t, { size: 1 })
  const node = await noopNode(lan)
  const input = join(lan.dir, 'bracket.txt')
  writeFileSync(input, 'a bracket\n')
  const requestId = 'lost-reply-0123456789'

  await submitAndHangUp(node, submitParams([input], requestId))
  const [stored] = await waitFor(async () => (await jobsByName(node)).get('bracket.txt'), { timeoutMs: 20_000, intervalMs: 100, what: 'the job to be stored' })

  const [again] = await call<JobRecord[]>(node, 'submit', submitParams([input], requestId))
  assert.equal(again.id, stored.id, 'the same daemon answers the retry with the job it stored')
  // Killed once the job is done: a kill during its tool's run would rightly run it again after the restart,
  // and here a second run can only come from a second job.
  await waitJobsEnded(lan, node, [stored.id], 60_000)
  await lan.kill9(node)
  await lan.restart(node)
  const [afterRestart] = await call<JobRecord[]>(node, 'submit', submitParams([input], requestId))
  assert.equal(afterRestart.id, stored.id, 'a restarted daemon answers with it too: the request id is in LevelDB with the job')
  const cli = await lan.runCli(node, ['submit', input, '--pipeline', 'noop', '--request-id', requestId, '--detach'], 60_000)
  assert.equal(cli.code, 0, cli.stderr)
  assert.equal(cli.stdout, `${stored.id}\n`, 'the CLI given the id prints the stored job')

  // Another submit under the same id is not a retry: refused, nothing stored.
  const other = join(lan.dir, 'other.txt')
  writeFileSync(other, 'another part\n')
  await assert.rejects(call(node, 'submit', submitParams([other], requestId)), { name: 'RequestIdReusedError' })

  const [done] = await waitJobsEnded(lan, node, [stored.id], 10_000)
  assert.equal(done.state, 'done')
  const byName = await jobsByName(node)
  assert.deepEqual([...byName.keys()], ['bracket.txt'], 'jobs lists the part once and nothing else')
  assert.equal(byName.get('bracket.txt')?.length, 1)
  assert.equal(runsPerJob([node]).get(stored.id), 1, 'its tool ran once')
})

test('two attempts of one request at once make one job per file; a malformed request id is refused with a clear error and stores nothing', async (t) => {
  const lan = await createLan(t, { size: 1 })
  const node = await noopNode(lan)
  const files = ['a', 'b', 'c'].map(name => {
    const path = join(lan.dir, `${name}.txt`)
    writeFileSync(path, `part ${name}\n`)
    return path
  })
  const params = submitParams(files, 'at-once-0123456789abcdef')
  const [first, second] = await Promise.all([call<JobRecord[]>(node, 'submit', params), call<JobRecord[]>(node, 'submit', params)])
  assert.deepEqual(second.map(j => j.id), first.map(j => j.id), 'both attempts get the same jobs')
  assert.deepEqual(first.map(j => j.input.name), ['a.txt', 'b.txt', 'c.txt'])

  for (const bad of ['short-id', 'x'.repeat(129), '../../etc/passwd-0123456', 'with space 0123456789', 'é'.repeat(20)]) {
    await assert.rejects(call(node, 'submit', submitParams([files[0]], bad)), (err: Error) => {
      assert.equal(err.name, 'BadRequestIdError', `${JSON.stringify(bad)}: ${err.name}`)
      assert.match(err.message, /^requestId must be 16 to 128 characters of A-Z, a-z, 0-9, "-" and "_"/)
      return true
    })
  }
  // Not a string at all: the method's schema refuses it before the handler, naming the field.
  for (const bad of [42, null, {}, ['abcdefghijklmnopq']]) {
    await assert.rejects(call(node, 'submit', submitParams([files[0]], bad)), (err: Error) => {
      assert.equal(err.name, 'BadRequestError', `${JSON.stringify(bad)}: ${err.name}`)
      assert.match(err.message, /^\/?requestId: /)
      return true
    })
  }
  const cli = await lan.runCli(node, ['submit', files[0], '--pipeline', 'noop', '--request-id', 'no/slashes/please', '--detach'])
  assert.equal(cli.code, 1)
  assert.match(cli.stderr, /^meshnode: requestId must be 16 to 128 characters/)

  const byName = await jobsByName(node)
  assert.deepEqual([...byName.entries()].map(([name, jobs]) => `${name}:${jobs.length}`).sort(), ['a.txt:1', 'b.txt:1', 'c.txt:1'])
})

/** Whether process `pid` has `path` open. */
function holds (pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some(fd => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === path } catch { return false }
    })
  } catch {
    return false
  }
}

const SUBMITS = 20
const KILLED_DURING = 9

test(`kill -9 of the daemon during the ${KILLED_DURING + 1}th of ${SUBMITS} submits, restarted: the CLI sends it again, and every file is one job that ran once`, async (t) => {
  const lan = await createLan(t, { size: 1 })
  const node = await noopNode(lan)
  const files = Array.from({ length: SUBMITS }, (_, i) => join(lan.dir, `part-${String(i).padStart(2, '0')}.txt`))
  files.forEach((path, i) => { if (i !== KILLED_DURING) writeFileSync(path, `part ${i}\n`) })
  // A named pipe holds the submit in the daemon for as long as the test likes: the daemon opens it to import
  // it, and its read ends only when the test closes its own end. So the kill lands while the call is in flight.
  const pipe = files[KILLED_DURING]
  execFileSync('mkfifo', [pipe])
  let held: number | undefined = openSync(pipe, 'r+')
  t.after(() => { if (held !== undefined) closeSync(held) })

  const runs: CliResult[] = []
  for (const [i, file] of files.entries()) {
    // The jobs before the kill are done first: a job whose tool the kill cut short runs again after the restart,
    // and rightly so; here a second run can only come from a second job.
    if (i === KILLED_DURING) await waitJobsEnded(lan, node, runs.map(run => run.stdout.trim()), 60_000)
    const submit = lan.runCli(node, ['submit', file, '--pipeline', 'noop', '--detach'], 90_000)
    if (i === KILLED_DURING) {
      const first = node.process.pid
      await waitFor(async () => holds(first, pipe), { timeoutMs: 20_000, intervalMs: 50, what: 'the daemon to import the pipe' })
      await lan.kill9(node)
      const restarted = lan.relaunch(node)
      await waitFor(async () => holds(restarted.pid, pipe), { timeoutMs: 40_000, intervalMs: 100, what: 'the CLI\'s retry to reach the restarted daemon' })
      closeSync(held as number)
      held = undefined
    }
    runs.push(await submit)
  }

  for (const [i, run] of runs.entries()) assert.equal(run.code, 0, `submit ${i} exits 0: ${run.stderr}`)
  assert.match(runs[KILLED_DURING].stderr, /lost the daemon during submit; sending the same request again/, 'the cut-off submit was retried')
  const ids = runs.map(run => run.stdout.trim())
  for (const id of ids) assert.match(id, /^j[0-9a-f]{12}$/, 'each submit prints its job')
  await lan.waitReady(node)
  const ended = await waitJobsEnded(lan, node, ids, 90_000)
  for (const job of ended) assert.equal(job.state, 'done', `${job.input.name}: ${job.error ?? job.stages.map(s => s.error).join('; ')}`)

  const byName = await jobsByName(node)
  assert.deepEqual([...byName.entries()].map(([name, jobs]) => `${name}:${jobs.length}`).sort(), files.map(f => `${f.slice(lan.dir.length + 1)}:1`), 'each file is one job')
  const ran = runsPerJob([node])
  assert.deepEqual(ids.filter(id => ran.get(id) !== 1).map(id => `${id} ran ${ran.get(id) ?? 0} times`), [], 'each job\'s tool ran once')
})
