import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../../src/api/control-client.js'
import { createLan } from '../../lan/harness.js'
import { jobList, jobView } from '../jobs/jobs-helpers.js'
import { history, peersBefore } from './faults-helpers.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

/** Every file under `dir`, as paths relative to it. */
function filesUnder (dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`]
  })
}

describe('hostile file names and designs', () => {
  let lan: Lan
  let requester: MeshNode
  let executor: MeshNode
  let dir: string
  let client: ControlClient

  before(async () => {
    lan = await createLan(undefined, { size: 2 })
    dir = join(lan.dir, 'designs', 'sub')
    mkdirSync(dir, { recursive: true })
    ;[requester, executor] = await lan.startAll(i => ({ args: ['--offer', i === 0 ? 'none' : 'scad', ...peersBefore(lan, i)] }))
    client = await ControlClient.connect(requester.dataDir)
  })
  after(async () => {
    client?.close()
    await lan?.close()
  })

  const write = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('through the API: a relative, NUL-carrying or 4 KB name is refused with a clear error and no job is made', async () => {
    const part = write('part.scad', 'cube(5);\n')
    const before = (await jobList(lan, requester)).length
    const cases: Array<[string, { files: string[], extra?: string[] }, RegExp]> = [
      ['--with ../x.scad', { files: [part], extra: ['../x.scad'] }, /absolute paths/],
      ['a relative design', { files: ['../part.scad'] }, /absolute paths/],
      ['a NUL in --with', { files: [part], extra: [`${dir}/x\0.scad`] }, /NUL/],
      ['a NUL in the design', { files: [`${part}\0.txt`] }, /NUL/],
      ['a 4 KB --with', { files: [part], extra: [`${dir}/${'a'.repeat(4096)}.scad`] }, /too long|not allowed/],
      ['a 4 KB design', { files: [`${dir}/${'a'.repeat(4096)}.scad`] }, /too long|not allowed/]
    ]
    for (const [what, params, reason] of cases) {
      await assert.rejects(client.call('submit', { ...params, options: { params: {} } }), (err: Error) => {
        assert.match(err.message, reason, `${what}: ${err.message}`)
        assert.ok(err.message.length < 400, `${what}: the error is short enough to read (${err.message.length} chars)`)
        return true
      }, `${what} is refused`)
    }
    assert.equal((await jobList(lan, requester)).length, before, 'no job was made')
  })

  it('through the CLI: --with ../x.scad sends the file under its plain name, --with .hidden is refused; nothing lands outside the job folder', async () => {
    const lib = join(lan.dir, 'designs', 'x.scad')
    writeFileSync(lib, 'module peg() { cylinder(d = 3, h = 5, $fn = 12); }\n')
    const part = write('uses-x.scad', 'use <x.scad>\npeg();\n')
    const executorFiles = new Set(filesUnder(executor.dataDir))

    const run = await lan.runCli(requester, ['submit', part, '--with', `${dir}/../x.scad`, '--pipeline', 'scad', '--json'], 60_000)
    assert.equal(run.code, 0, run.stderr)
    const [job] = JSON.parse(run.stdout) as JobRecord[]
    assert.equal(job.state, 'done', history(await jobView(lan, requester, job.id)))
    assert.deepEqual(job.extra.map(f => f.name), ['x.scad'], 'the file travels under its plain name')
    const added = filesUnder(executor.dataDir).filter(f => !executorFiles.has(f))
    const outside = added.filter(f => !f.startsWith(`work/${job.id}-0-`) && !/^blobs\/[0-9a-f]{2}\//.test(f) && !/^(db|blobs\/tmp|blobs\/partial)\//.test(f))
    assert.deepEqual(outside, [], 'the executor wrote only into the job folder, its blob store and its database')
    // peg() comes from x.scad: the render found it beside the design, under its plain name.
    assert.ok(job.stages[0].output != null && job.stages[0].output.size > 0, 'the design rendered with x.scad')
    assert.deepEqual(added.filter(f => f.startsWith('work/')), [], 'the job folder is gone once the stage has ended')

    const hidden = join(dir, '.hidden.scad')
    writeFileSync(hidden, 'cube(1);\n')
    const refused = await lan.runCli(requester, ['submit', part, '--with', hidden, '--detach'])
    assert.notEqual(refused.code, 0, 'a hidden name is refused')
    assert.match(refused.stderr, /file name "\.hidden\.scad" is not allowed/)
  })

  for (const [what, source] of [
    ['import("/etc/passwd")', 'import("/etc/passwd");\ncube(1);\n'],
    ['include </etc/passwd>', 'include </etc/passwd>\ncube(1);\n'],
    ['use <../../../../etc/passwd>', 'use <../../../../etc/passwd>\ncube(1);\n']
  ]) {
    it(`a design that tries ${what} fails with a clear error and its output holds nothing from outside`, async () => {
      const design = write(`reads-${what.replace(/[^a-z]/g, '')}.scad`, source)
      const run = await lan.runCli(requester, ['submit', design, '--pipeline', 'scad', '--json'], 60_000)
      assert.notEqual(run.code, 0, 'submit exits non-zero')
      const [job] = JSON.parse(run.stdout) as JobRecord[]
      const view = await jobView(lan, requester, job.id)
      assert.equal(job.state, 'failed', history(view))
      assert.match(job.stages[0].error ?? '', /etc\/passwd/, `the error names the file: ${job.stages[0].error}`)
      assert.equal(job.stages[0].attempt, 1, 'a hostile design is not tried on another peer')
      assert.equal(job.stages[0].output, undefined, 'there is no output')
      assert.deepEqual(filesUnder(join(executor.dataDir, 'work')).filter(f => f.startsWith(`${job.id}-`)), [], 'nothing of the failed run is left on the executor')
    })
  }
})
