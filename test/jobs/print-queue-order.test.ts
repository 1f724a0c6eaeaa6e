import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareQueueKeys, queueKeyOfJob, queueKeyOfSpec, announcedPriority, rankWhenMoved, PRIORITIES } from '../../src/jobs/print-queue-order.js'
import type { JobRecord } from '../../src/jobs/job.js'

type Queued = Pick<JobRecord, 'id' | 'createdAt' | 'options' | 'queuePin' | 'rank'>

const job = fc.record({
  id: fc.stringMatching(/^j[0-9a-f]{4}$/),
  createdAt: fc.integer({ min: 1, max: 2e12 }),
  priority: fc.option(fc.constantFrom(...PRIORITIES), { nil: undefined }),
  queuePin: fc.option(fc.constantFrom('top' as const, 'bottom' as const), { nil: undefined }),
  rank: fc.option(fc.integer({ min: -2e12, max: 2e12 }), { nil: undefined })
}).map(({ priority, ...j }): Queued => ({ ...j, options: { params: {}, ...(priority === undefined ? {} : { priority }) } }))

test('a job\'s place is the same from its record and from its announcement: every peer orders alike', () => {
  fc.assert(fc.property(job, job, (a, b) => {
    const fromSpec = (j: Queued): ReturnType<typeof queueKeyOfSpec> => queueKeyOfSpec({ jobId: j.id, priority: announcedPriority(j), rank: j.rank ?? j.createdAt, createdAt: j.createdAt })
    assert.equal(Math.sign(compareQueueKeys(queueKeyOfJob(a), queueKeyOfJob(b))), Math.sign(compareQueueKeys(fromSpec(a), fromSpec(b))))
  }), { numRuns: 500 })
})

test('moved to the top beats high priority, high beats normal beats low, then the older first; bottom is last', () => {
  const at = (id: string, createdAt: number, priority?: 'high' | 'normal' | 'low', pin?: 'top' | 'bottom'): Queued => ({
    id, createdAt, options: { params: {}, ...(priority === undefined ? {} : { priority }) }, ...(pin === undefined ? {} : { queuePin: pin, rank: rankWhenMoved(pin, 5000) })
  })
  const jobs = [at('jlow', 1, 'low'), at('jold', 2), at('jnew', 3, 'normal'), at('jhigh', 4, 'high'), at('jtop', 5, 'low', 'top'), at('jbot', 0, 'high', 'bottom')]
  const order = [...jobs].sort((a, b) => compareQueueKeys(queueKeyOfJob(a), queueKeyOfJob(b))).map(j => j.id)
  assert.deepEqual(order, ['jtop', 'jhigh', 'jold', 'jnew', 'jlow', 'jbot'])
  assert.deepEqual(queueKeyOfSpec({ jobId: 'x', priority: 'urgent!', rank: Number.NaN, createdAt: 7 }), { bucket: 2, rank: 7, jobId: 'x' }, 'a value no requester of ours sends is a plain normal job')
})
