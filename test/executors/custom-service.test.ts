import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { sandbox } from './confinement.js'
import { makeJob } from './job-dir.js'
import { alive, hostPid } from './sandboxed-pids.js'
import { waitFor } from '../lan/wait.js'

const confinement = await sandbox()

/** A service whose program is Node running a small script given inline. */
function nodeService (script: string, extra: object = {}): CustomServiceExecutor {
  return new CustomServiceExecutor(parseServiceConfig({
    name: 'upper',
    command: process.execPath,
    args: ['-e', script, '--', '--in', '{input}', '--out', '{output}'],
    outputExtension: 'txt',
    timeoutSec: 60,
    ...extra
  }, 'services[0]'), confinement)
}

const UPPERCASE = `
const fs = require('node:fs')
const argv = process.argv
const inPath = argv[argv.indexOf('--in') + 1]
const outPath = argv[argv.indexOf('--out') + 1]
console.log('converting ' + require('node:path').basename(inPath))
fs.writeFileSync(outPath, fs.readFileSync(inPath, 'utf8').toUpperCase())
`

test('a configured service runs its template on the job file and writes the output', async (t) => {
  const job = await makeJob(t, { 'note.md': 'hello mesh' })
  const result = await nodeService(UPPERCASE).run(job)
  assert.equal(result.outputName, 'note.txt')
  assert.equal(await readFile(result.outputPath, 'utf8'), 'HELLO MESH')
  assert.ok(job.logs.includes('converting note.md'))
  assert.equal(result.command[0], process.execPath)
  assert.deepEqual(result.command.slice(-4), ['--in', job.input.path, '--out', result.outputPath])
})

test('a job file named like an option stays a file', async (t) => {
  const job = await makeJob(t, { '-e': 'not code' })
  const result = await nodeService(UPPERCASE).run(job)
  assert.equal(await readFile(result.outputPath, 'utf8'), 'NOT CODE')
})

test('a failing service reports its own stderr', async (t) => {
  const job = await makeJob(t, { 'note.md': 'x' })
  const failing = nodeService("console.error('ERROR: mesh is not manifold at vertex 17'); process.exit(3)")
  await assert.rejects(failing.run(job), (err: Error & { exitCode?: number }) => {
    assert.equal(err.name, 'ToolFailedError')
    assert.match(err.message, /mesh is not manifold at vertex 17/)
    assert.equal(err.exitCode, 3)
    return true
  })
  const silent = nodeService('process.exit(0)')
  await assert.rejects(silent.run(job), { name: 'ToolFailedError', message: /without writing its output note\.txt/ })
})

test('inputs outside the declared extensions are refused before running', async (t) => {
  const job = await makeJob(t, { 'part.stl': 'solid' })
  await assert.rejects(nodeService(UPPERCASE, { inputExtensions: ['md'] }).run(job), { name: 'UnsupportedInputError' })
})

test('cancel kills the service process; its own timeout stops it too', async (t) => {
  const job = await makeJob(t, { 'note.md': 'x' })
  const pidFile = job.input.path + '.pid'
  const hang = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log('started'); setInterval(() => {}, 1000)`
  const started = Promise.withResolvers<void>()
  const run = nodeService(hang).run({ ...job, onLog: line => { if (line === 'started') started.resolve() } })
  await Promise.race([started.promise, run.catch(() => {})])
  // The sandboxed service knows itself by its pid namespace's number.
  const pid = hostPid(Number(await readFile(pidFile, 'utf8')), job.workDir) ?? -1
  assert.ok(pid > 0, 'the service process is found on the host')
  job.abort.abort()
  await assert.rejects(run, { name: 'ToolCancelledError' })
  await waitFor(async () => !alive(pid), { timeoutMs: 5000, intervalMs: 20, what: 'the service process to be gone' })

  const timed = await makeJob(t, { 'note.md': 'x' })
  await assert.rejects(nodeService('setInterval(() => {}, 1000)', { timeoutSec: 1 }).run(timed), { name: 'ToolTimeoutError' })
})

test('a service named by a command on the node\'s PATH, outside /usr, is found and runs in the sandbox', async (t) => {
  const job = await makeJob(t, { 'note.md': 'on the path' })
  const bin = await mkdtemp(join(tmpdir(), 'meshnode-bin-'))
  const path = process.env.PATH
  t.after(async () => { process.env.PATH = path; await rm(bin, { recursive: true, force: true }) })
  await writeFile(join(bin, 'meshnode-upper'), '#!/bin/sh\ntr a-z A-Z < "$1" > "$2"\n')
  await chmod(join(bin, 'meshnode-upper'), 0o755)
  process.env.PATH = `${bin}:${path ?? ''}`
  const service = new CustomServiceExecutor(parseServiceConfig({ name: 'upper', command: 'meshnode-upper', args: ['{input}', '{output}'], outputExtension: 'txt', timeoutSec: 60 }, 'services[0]'), confinement)
  assert.equal(await readFile((await service.run(job)).outputPath, 'utf8'), 'ON THE PATH')
})
