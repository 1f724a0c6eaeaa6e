import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { promisify } from 'node:util'
import { ControlServer } from '../../src/api/control-server.js'
import { MethodTable } from '../../src/api/method-table.js'
import { METHODS } from '../../src/api/methods.js'
import { meshnodeBin } from '../../src/paths.js'

/**
 * A stand-in daemon on a real control socket whose submit drops the caller's connection the first `drops` times
 * (as a daemon killed mid-call does: the server goes and comes back on the same data dir), then answers.
 */
async function droppingDaemon (t: TestContext, drops: number, method = 'submit'): Promise<{ dataDir: string, design: string, requests: any[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-submit-retry-'))
  const design = join(dataDir, 'part.scad')
  await writeFile(design, 'cube(1);\n')
  const methods = new MethodTable(METHODS)
  const server = new ControlServer(dataDir, methods)
  const requests: any[] = []
  // The CLI may be gone before the server is back: the test stops it only after that.
  let restarted = Promise.resolve()
  const job = { id: 'j0123456789ab', input: { name: 'part.scad' } }
  methods.register(method, async (params) => {
    requests.push(params)
    if (requests.length <= drops) {
      restarted = server.stop().then(async () => server.start())
      await restarted
      return null
    }
    return [job]
  })
  if (method !== 'submit') methods.register('submit', async () => [job])
  // Every stage is known and offered: the check before the submit lets it through.
  methods.register('check-pipeline', async () => ({ unoffered: [] }))
  await server.start()
  t.after(async () => {
    await restarted
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  return { dataDir, design, requests }
}

async function submit (dataDir: string, design: string, ...flags: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [meshnodeBin, 'submit', design, ...flags, '--data-dir', dataDir], { timeout: 30_000 })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

test('a submit whose connection drops is sent again with the same request id and prints the job as usual', async (t) => {
  const { dataDir, design, requests } = await droppingDaemon(t, 1)
  const run = await submit(dataDir, design, '--detach')
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout, 'j0123456789ab\n')
  assert.match(run.stderr, /lost the daemon during submit; sending the same request again/)
  assert.equal(requests.length, 2)
  assert.match(requests[0].requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.deepEqual(requests[1], requests[0], 'the retry is the same request, id and all')
})

test('when the retry loses the daemon too, submit fails saying the job may be stored, how to check, and how to submit again safely', async (t) => {
  const { dataDir, design, requests } = await droppingDaemon(t, 2)
  const run = await submit(dataDir, design, '--detach')
  assert.equal(run.code, 1)
  assert.equal(run.stdout, '')
  assert.equal(requests.length, 2, 'sent twice, not more')
  const last = run.stderr.trim().split('\n').at(-1) ?? ''
  assert.match(last, /^meshnode: the daemon closed the control connection twice during submit, so whether the job was stored is not known\. /)
  assert.ok(last.includes(`check with "npx meshnode jobs --data-dir ${dataDir}"`), last)
  assert.ok(last.endsWith(`run the same command with --request-id ${String(requests[0].requestId)}`), last)
})

test('a submit that finds no daemon fails at once and sends nothing', async (t) => {
  const { dataDir, design, requests } = await droppingDaemon(t, 0)
  const started = Date.now()
  const run = await submit(join(dataDir, 'elsewhere'), design, '--detach')
  assert.equal(run.code, 1)
  assert.match(run.stderr, /^meshnode: no meshnode is running on data dir /)
  assert.ok(Date.now() - started < 10_000, 'no waiting for a daemon that was never there')
  assert.equal(requests.length, 0)
})

test('when the daemon goes away twice while the CLI watches the jobs it submitted, it says they are stored and names them', async (t) => {
  const { dataDir, design, requests } = await droppingDaemon(t, 2, 'watch')
  const run = await submit(dataDir, design, '--json')
  assert.equal(run.code, 1)
  assert.equal(requests.length, 2)
  assert.deepEqual(requests[1].ids, ['j0123456789ab'])
  const last = run.stderr.trim().split('\n').at(-1) ?? ''
  assert.equal(last, `meshnode: the daemon closed the control connection twice during watch; the submit went through, and the job is stored and run once the daemon is up again: j0123456789ab (see "npx meshnode jobs --data-dir ${dataDir}")`)
})
