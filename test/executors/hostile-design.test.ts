import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { findExecutable } from '../../src/capabilities/probe-cache.js'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { OpenscadNativeExecutor } from '../../src/executors/openscad-native.js'
import { runTool } from '../../src/executors/run-tool.js'
import { findConfinement, type ToolConfinement } from '../../src/executors/sandbox.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { sandbox } from './confinement.js'
import { makeJob, type TestJob } from './job-dir.js'
import type { TestContext } from 'node:test'

const openscad = await findExecutable('openscad')
if (openscad == null) throw new Error('these tests need native OpenSCAD (apt-get install openscad)')
const confined = await sandbox()
const open = await findConfinement(false)

/** Secret files in a folder of their own: an ASCII STL, a DXF-ish text, a design that echoes its marker. */
async function plantSecrets (dir: string): Promise<{ dir: string, marker: string }> {
  const marker = `TOPSECRET-${randomBytes(6).toString('hex')}`
  await writeFile(join(dir, 'secret.scad'), `echo("${marker}");\ncube(7.77);\n`)
  await writeFile(join(dir, 'secret.stl'), `solid ${marker}\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 123.456 0 0\nvertex 0 123.456 0\nendloop\nendfacet\nendsolid ${marker}\n`)
  await writeFile(join(dir, 'secret.dxf'), `${marker} first line\n0\nSECTION\n`)
  return { dir, marker }
}

/** A folder in /tmp, and a data dir outside /tmp whose work/ holds the job folder itself, as a node's does. */
async function secretPlaces (t: TestContext): Promise<Array<{ where: string, dir: string, marker: string, jobRoot?: string }>> {
  const temp = await mkdtemp(join(tmpdir(), 'meshnode-secret-'))
  const dataDir = await mkdtemp('/var/tmp/meshnode-data-')
  t.after(async () => { await rm(temp, { recursive: true, force: true }); await rm(dataDir, { recursive: true, force: true }) })
  await mkdir(join(dataDir, 'work'))
  return [
    { where: 'a temp folder', ...await plantSecrets(temp) },
    { where: 'the data dir', ...await plantSecrets(dataDir), jobRoot: join(dataDir, 'work') }
  ]
}

/** A job whose folder is inside `root` when given (a data dir's work/), else a temp folder. */
async function jobIn (t: TestContext, root: string | undefined, files: Record<string, string>, options: Partial<TestJob> = {}): Promise<TestJob> {
  const job = await makeJob(t, files, options)
  if (root == null) return job
  const workDir = await mkdtemp(join(root, 'j'))
  for (const file of [job.input, ...job.extraFiles]) {
    await writeFile(join(workDir, file.name), await readFile(file.path))
    file.path = join(workDir, file.name)
  }
  return Object.assign(job, { workDir })
}

/**
 * Runs OpenSCAD on the job as the executor would, minus the design scan: what reaches the tool if the
 * scan missed a trick. Returns everything a user could see: the log lines and the output, if any.
 */
async function renderUnscanned (job: TestJob, confinement: ToolConfinement, defines: string[] = []): Promise<string> {
  const output = join(job.workDir, 'out.stl')
  await runTool({ tool: 'openscad', file: openscad as string, args: ['-o', output, ...defines, job.input.path], confinement, output }, job).catch(() => {})
  return job.logs.join('\n') + (existsSync(output) ? await readFile(output, 'utf8') : '')
}

const ESCAPES = [
  {
    what: 'include <evil.inc> from --with, which includes </abs/secret.scad> and imports /abs/secret.stl',
    files: (dir: string) => ({ 'part.scad': 'include <evil.inc>\ncube(1);\n', 'evil.inc': `include <${dir}/secret.scad>\nimport("${dir}/secret.stl");\n` }),
    defines: (): string[] => [],
    refused: /design reads \/.*secret\.scad, outside its job directory/
  },
  {
    what: 'linear_extrude("/abs/secret")',
    files: (dir: string) => ({ 'part.scad': `linear_extrude("${dir}/secret.dxf");\ncube(1);\n` }),
    defines: (): string[] => [],
    refused: /design reads \/.*secret\.dxf, outside its job directory/
  },
  {
    what: 'the path through -D f="/abs/secret"',
    files: () => ({ 'part.scad': 'f = "";\nlinear_extrude(f);\nimport(f);\ncube(1);\n' }),
    defines: (dir: string): string[] => ['-D', `f="${dir}/secret.dxf"`],
    refused: /is a path outside the job's folder|computed file name/
  }
]

for (const escape of ESCAPES) {
  test(`a hostile design never shows a host file, in the sandbox: ${escape.what}`, async (t) => {
    for (const secret of await secretPlaces(t)) {
      const files = escape.files(secret.dir)
      const defines = escape.defines(secret.dir)
      const params: Record<string, string> = defines.length === 0 ? {} : { f: defines[1].slice(2) }

      const executor = new OpenscadNativeExecutor(openscad, 'test', confined)
      await assert.rejects(executor.run(await jobIn(t, secret.jobRoot, files, { params })), { message: escape.refused }, `the scan refuses it early (${secret.where})`)

      const walled = await renderUnscanned(await jobIn(t, secret.jobRoot, files), confined, defines)
      assert.ok(!walled.includes(secret.marker) && !walled.includes('123.456'), `nothing of the secret in ${secret.where} reaches the log or the output:\n${walled.slice(0, 2000)}`)

      // The same run without the sandbox shows the secret: the wall above is what holds it.
      const bare = await renderUnscanned(await jobIn(t, secret.jobRoot, files), open, defines)
      assert.ok(bare.includes(secret.marker) || bare.includes('123.456'), `without the sandbox the secret in ${secret.where} shows:\n${bare.slice(0, 2000)}`)
    }
  })
}

test('a tool over its memory limit fails naming the limit', async (t) => {
  const job = await makeJob(t, { 'big.scad': 'sphere(10, $fn = 2000);\n' }, { limits: { memoryMiB: 64, outputMiB: 256 } })
  await assert.rejects(new OpenscadNativeExecutor(openscad, 'test', confined).run(job),
    { name: 'ToolLimitError', message: 'openscad used more than its 64 MiB memory limit (market.toolMemoryMiB)' })
})

test('a tool writing more than the output limit fails naming the limit, whether it stops at the limit or dies of it', async (t) => {
  // OpenSCAD ignores SIGXFSZ: its STL is cut at the limit and it exits 0.
  const render = await makeJob(t, { 'round.scad': 'sphere(10, $fn = 300);\n' }, { limits: { memoryMiB: 4096, outputMiB: 1 } })
  await assert.rejects(new OpenscadNativeExecutor(openscad, 'test', confined).run(render),
    { name: 'ToolLimitError', message: 'openscad wrote a file larger than its 1 MiB output limit (market.maxOutputMiB)' })
  const copy = await makeJob(t, { 'part.txt': 'x' }, { limits: { memoryMiB: 4096, outputMiB: 1 } })
  const big = new CustomServiceExecutor(await script(copy, 'big.sh', 'head -c 2097152 /dev/zero > "$2"\n'), confined)
  await assert.rejects(big.run(copy), { name: 'ToolLimitError', message: 'big wrote a file larger than its 1 MiB output limit (market.maxOutputMiB)' })
})

test('a tool over its CPU time limit fails naming the limit', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' }, { limits: { memoryMiB: 4096, outputMiB: 16, cpuSec: 1 } })
  const spin = await script(job, 'spin.sh', 'while :; do :; done\n')
  await assert.rejects(new CustomServiceExecutor(spin, confined).run(job),
    { name: 'ToolLimitError', message: 'spin used more than its 1 s CPU time limit (market.toolCpuSec)' })
})

test('a sandboxed tool has no network: a listener on the host\'s loopback is out of its reach', async (t) => {
  const server = createServer(socket => { connections++; socket.destroy() })
  let connections = 0
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.close() })
  const { port } = server.address() as { port: number }
  const reach = async (confinement: ToolConfinement): Promise<string> => {
    const job = await makeJob(t, { 'part.txt': 'x' })
    const service = await script(job, 'dial.sh', `if (echo hello > /dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo reached > "$2"; else echo unreachable > "$2"; fi\n`, '/bin/bash')
    return (await readFile((await new CustomServiceExecutor(service, confinement).run(job)).outputPath, 'utf8')).trim()
  }
  assert.equal(await reach(confined), 'unreachable')
  assert.equal(connections, 0, 'the listener saw no connection from the sandbox')
  assert.equal(await reach(open), 'reached', 'without the sandbox the same tool reaches it')
})

/** A script in the job folder run as a service `name`; it gets the input and output paths as $1 and $2. */
async function script (job: TestJob, file: string, body: string, shell = '/bin/sh'): Promise<ReturnType<typeof parseServiceConfig>> {
  const path = join(job.workDir, file)
  await writeFile(path, `#!${shell}\n${body}`)
  await chmod(path, 0o755)
  return parseServiceConfig({ name: file.replace(/\.sh$/, ''), command: path, args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]')
}

test('a sandboxed tool keeps no capability, even on a peer run as root', async (t) => {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const status = await script(job, 'status.sh', 'grep -E "^(CapEff|CapPrm|CapBnd):" /proc/self/status > "$2"\n')
  const lines = (await readFile((await new CustomServiceExecutor(status, confined).run(job)).outputPath, 'utf8')).trim().split('\n')
  assert.deepEqual(lines.map(line => line.split(/\s+/)[1]), ['0000000000000000', '0000000000000000', '0000000000000000'])
})
