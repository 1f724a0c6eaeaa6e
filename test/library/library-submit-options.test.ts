import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobEnded, startPeer, tempDir } from '../market/mesh-fixture.js'
import { meshnode } from '../cli/host-daemon.js'
import { waitFor } from '../lan/wait.js'
import { sampleGcode } from '../e2e/print/printer-record.js'
import { withVirtualPrinter } from '../printer/virtual-printer-peer.js'
import { SCAD } from './design-files.js'
import type { JobRecord } from '../../src/jobs/job.js'

type ShownJob = JobRecord & { copyJobs?: JobRecord[] }

test('submit lib:ID takes --copies, --priority and --notify as a file submit does, and refuses by name what a library entry cannot take', async (t) => {
  const dir = await tempDir(t, 'library-submit-options-')
  const laptop = await startPeer(t, dir, 'laptop', c => { c.offers = [] })
  const pi = await startPeer(t, dir, 'pi', withVirtualPrinter('p1'))
  await laptop.libp2p.dial(pi.libp2p.getMultiaddrs()[0])
  await waitFor(async () => laptop.capabilities.peers().some(p => p.record.offers.includes('print')), { timeoutMs: 20_000, what: 'the laptop to see the printer peer' })
  const dataDir = ['--data-dir', laptop.config.dataDir]
  await writeFile(join(dir, 'peg.gcode'), sampleGcode(2, 1))
  await writeFile(join(dir, 'peg.scad'), SCAD)
  const added = await meshnode(['library', 'add', join(dir, 'peg.gcode'), join(dir, 'peg.scad'), '--json', ...dataDir])
  assert.equal(added.code, 0, added.stderr)
  const [gcode, scad] = (JSON.parse(added.stdout) as Array<{ entry: { id: string } }>).map(a => a.entry.id)

  await t.test('submit lib:ID --copies 2 --priority high --notify URL: the job has all three, its two copies print at high priority, and the URL hears of its end', async () => {
    const told: string[] = []
    const listener = createServer((req, res) => { told.push(req.url ?? ''); res.end() })
    await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve))
    t.after(() => { listener.close() })
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/ended/$id`
    const submitted = await meshnode(['submit', `lib:${gcode}`, '--copies', '2', '--priority', 'high', '--notify', url, '--detach', ...dataDir])
    assert.equal(submitted.code, 0, submitted.stderr)
    const id = submitted.stdout.trim()
    assert.equal((await jobEnded(laptop, id, 180_000)).state, 'done')
    await waitFor(async () => told.includes(`/ended/${id}`), { timeoutMs: 20_000, what: `the notify URL to hear of ${id}: ${told.join(', ')}` })
    const shown = await meshnode(['job', id, '--json', ...dataDir])
    assert.equal(shown.code, 0, shown.stderr)
    const job = JSON.parse(shown.stdout) as ShownJob
    assert.equal(job.options.copies, 2)
    assert.equal(job.options.priority, 'high')
    assert.equal(job.options.notify, url)
    assert.deepEqual(job.copyJobs?.map(c => [c.state, c.options.priority, c.stages[0].peerName]), [['done', 'high', 'pi'], ['done', 'high', 'pi']])
  })

  await t.test('what cannot apply is refused by name, and nothing is stored', async () => {
    const before = (await laptop.jobStore.list()).length
    const withFile = await meshnode(['submit', `lib:${gcode}`, '--with', join(dir, 'peg.scad'), ...dataDir])
    assert.equal(withFile.code, 1)
    assert.match(withFile.stderr, /--with takes design files: a library entry keeps its own included files/)
    const notPrinted = await meshnode(['submit', `lib:${scad}`, '--pipeline', 'scad', '--copies', '2', ...dataDir])
    assert.equal(notPrinted.code, 1)
    assert.match(notPrinted.stderr, /copies are prints: the pipeline \(scad\) must end in print/)
    const badPriority = await meshnode(['submit', `lib:${gcode}`, '--priority', 'urgent', ...dataDir])
    assert.equal(badPriority.code, 1)
    assert.match(badPriority.stderr, /--priority takes high, normal, low, not "urgent"/)
    assert.equal((await laptop.jobStore.list()).length, before)
  })
})
