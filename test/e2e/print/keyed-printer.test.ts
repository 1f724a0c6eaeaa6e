import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { createLan } from '../../lan/harness.js'
import { peerArgs, waitForMesh } from './printer-record.js'
import type { Lan, MeshNode } from '../../lan/harness.js'
import type { JobRecord } from '../../../src/jobs/job.js'

describe('the README\'s printer step in a keyed mesh: start --mesh-key K --printer mk3=PORT', () => {
  let lan: Lan
  let printerNode: MeshNode
  let laptop: MeshNode

  before(async () => {
    lan = await createLan(undefined, { size: 2 })
    const key = join(lan.dir, 'mesh.key')
    const made = await lan.cli(0, ['keygen', key])
    assert.equal(made.code, 0, made.stderr)
    // Nothing about trust on either command line, as in the README.
    ;[printerNode, laptop] = await Promise.all([
      lan.start(0, { name: 'printer-pi', args: ['--mesh-key', key, '--printer', 'mk3=virtual', ...peerArgs(lan, 0)] }),
      lan.start(1, { name: 'laptop', args: ['--mesh-key', key, '--offer', 'none', ...peerArgs(lan, 1)] })
    ])
    await waitForMesh(lan, [printerNode, laptop])
  })
  afterEach((t) => { lan.reportIfFailed(t) })
  after(async () => { await lan?.close() })

  it('the printer takes a print from another member of the mesh', async () => {
    const file = join(lan.dir, 'part.gcode')
    writeFileSync(file, 'G90\nG1 X10 Y10 F3000\nG1 X20 Y20\n')
    const result = await lan.runCli(laptop, ['submit', file, '--pipeline', 'print', '--json'], 60_000)
    assert.equal(result.code, 0, `submit exited ${String(result.code)}: ${result.stderr}\n${result.stdout.slice(-1000)}`)
    const [done] = JSON.parse(result.stdout) as JobRecord[]
    assert.equal(done.state, 'done')
    assert.equal(done.stages[0].peerName, 'printer-pi')
    assert.equal(done.stages[0].bids.some(b => !b.accept && /does not take prints/.test(b.reason)), false, JSON.stringify(done.stages[0].bids))
  })
})
