import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLan } from '../../lan/harness.js'
import { jobView, parseJson, readBlob } from '../jobs/jobs-helpers.js'
import { history, peersBefore, scriptService, sha256, waitListed, writeConfig } from './faults-helpers.js'
import type { JobRecord } from '../../../src/jobs/job.js'

test('a blob corrupted in transit, both ways: caught by its hash, fetched again, the job ends with the right output', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const config = writeConfig(lan.dir, 'upper', { services: [scriptService(lan.dir, 'upper', 'tr a-z A-Z < "$1" > "$2"')] })
  // Each peer flips one byte of the first copy of each blob it serves: the input on its way to the executor,
  // the output on its way back to the requester.
  const env = { ...process.env, MESHNODE_TEST_BLOB_FAULT: 'corrupt:70000' }
  const [requester, executor] = await lan.startAll(i => ({ args: ['--config', config, '--offer', i === 0 ? 'none' : 'upper', ...peersBefore(lan, i)], env }))
  await waitListed(lan, requester, [executor], 'upper')

  const input = join(lan.dir, 'part.txt')
  writeFileSync(input, 'a line of the part, lower case\n'.repeat(4000))
  const out = join(lan.dir, 'part.out')
  const [job] = parseJson<JobRecord[]>(await lan.runCli(requester, ['submit', input, '--pipeline', 'upper', '--json'], 60_000), 'submit')
  const view = await jobView(lan, requester, job.id)
  assert.equal(job.state, 'done', history(view))

  const expected = readFileSync(input, 'utf8').toUpperCase()
  assert.equal(job.result?.hash, sha256(expected), 'the result is the input in upper case')
  assert.equal(readBlob(executor, sha256(readFileSync(input))).toString(), readFileSync(input, 'utf8'), 'the executor holds the true input')
  assert.equal(readBlob(requester, sha256(expected)).toString(), expected, 'the requester holds the true output')
  const get = await lan.runCli(requester, ['get', job.id, '-o', out])
  assert.equal(get.code, 0, get.stderr)
  assert.equal(readFileSync(out, 'utf8'), expected)

  const logs = await lan.runCli(requester, ['logs', job.id])
  assert.match(logs.stdout, /failed its sha256 check and was fetched again/, `the job's log says the input was fetched again:\n${logs.stdout}`)
})
