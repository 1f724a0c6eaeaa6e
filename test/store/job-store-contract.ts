import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JobRecord } from '../../src/jobs/job.js'
import type { JobStore, SubmitOrigin, SubmittedJob } from '../../src/store/job-store.js'

/** How the contract reaches one JobStore implementation: a fresh store, and the same store after a restart. */
export interface StoreFixture {
  store: JobStore
  /** Closes whatever backs the store and opens it again, as a restarted daemon would. */
  reopen(): Promise<JobStore>
}

export type OpenStore = (t: test.TestContext) => Promise<StoreFixture>

const HASH = 'a'.repeat(64)

export function job (id: string, createdAt = 1000): JobRecord {
  const input = { hash: HASH, size: 10, name: 'part.scad', holders: ['peer-a'] }
  return {
    id,
    requester: 'peer-a',
    requesterName: 'workstation',
    createdAt,
    updatedAt: createdAt,
    state: 'running',
    input,
    extra: [],
    options: { params: {} },
    stages: [{ index: 0, kind: 'scad', state: 'pending', attempt: 1, token: 0, bids: [], input }],
    rev: 0
  }
}

const bump = (j: JobRecord): void => { j.options.params.n = String(Number(j.options.params.n ?? '0') + 1) }

/** The behaviour every JobStore must have; `name` labels the implementation in the test output. */
export function jobStoreContract (name: string, open: OpenStore): void {
  test(`${name}: create, get and list`, async (t) => {
    const { store } = await open(t)
    assert.equal(await store.get('j-none'), undefined)
    await store.create(job('j-b', 2000), { type: 'submitted', message: 'b' })
    await store.create(job('j-a', 1000), { type: 'submitted', message: 'a' })
    await store.create(job('j-c', 3000), { type: 'submitted', message: 'c' })
    const got = await store.get('j-a')
    assert.equal(got?.rev, 1)
    assert.deepEqual({ ...got, rev: 0 }, job('j-a', 1000))
    assert.deepEqual((await store.list()).map(j => j.id), ['j-a', 'j-b', 'j-c'])
  })

  test(`${name}: creating a job id twice is a conflict and keeps the first`, async (t) => {
    const { store } = await open(t)
    await store.create(job('j-1'), { type: 'submitted', message: 'first' })
    await assert.rejects(store.create({ ...job('j-1'), requesterName: 'impostor' }, { type: 'submitted', message: 'second' }), { name: 'ConflictError' })
    assert.equal((await store.get('j-1'))?.requesterName, 'workstation')
    assert.deepEqual((await store.events('j-1')).map(e => e.message), ['first'])
  })

  test(`${name}: an update applies at the expected revision; a stale revision is a conflict and changes nothing`, async (t) => {
    const { store } = await open(t)
    await store.create(job('j-1'), { type: 'submitted', message: 'submitted' })
    const next = await store.update('j-1', 1, j => { j.state = 'done' }, [{ type: 'done', message: 'done' }])
    assert.equal(next.rev, 2)
    assert.equal(next.state, 'done')
    assert.deepEqual(await store.get('j-1'), next)

    await assert.rejects(store.update('j-1', 1, j => { j.state = 'failed' }, [{ type: 'failed', message: 'stale' }]), { name: 'ConflictError' })
    await assert.rejects(store.update('j-1', 3, j => { j.state = 'failed' }), { name: 'ConflictError' })
    assert.equal((await store.get('j-1'))?.state, 'done')
    assert.deepEqual((await store.events('j-1')).map(e => e.type), ['submitted', 'done'])
    await assert.rejects(store.update('j-none', 1, () => {}), { name: 'JobNotFoundError' })
  })

  test(`${name}: a change that throws writes nothing`, async (t) => {
    const { store } = await open(t)
    await store.create(job('j-1'), { type: 'submitted', message: 'submitted' })
    await assert.rejects(store.update('j-1', 1, () => { throw new RangeError('no') }, [{ type: 'x', message: 'x' }]), { name: 'RangeError' })
    assert.equal((await store.get('j-1'))?.rev, 1)
    assert.equal((await store.events('j-1')).length, 1)
    assert.equal((await store.update('j-1', 1, bump)).rev, 2)
  })

  test(`${name}: the change sees a copy; the caller's object and the stored one do not alias`, async (t) => {
    const { store } = await open(t)
    const original = job('j-1')
    await store.create(original, { type: 'submitted', message: 'submitted' })
    original.state = 'cancelled'
    const read = await store.get('j-1') as JobRecord
    assert.equal(read.state, 'running')
    read.state = 'failed'
    assert.equal((await store.get('j-1'))?.state, 'running')
    const updated = await store.update('j-1', 1, j => { j.state = 'done' })
    updated.state = 'failed'
    assert.equal((await store.get('j-1'))?.state, 'done')
  })

  test(`${name}: events come in order with their seq, after a given seq, per job`, async (t) => {
    const { store } = await open(t)
    // Ids that are prefixes of each other, or hold separators, must not see each other's events.
    const ids = ['j1', 'j10', 'j1-x', 'a!b', 'a']
    for (const id of ids) await store.create(job(id), { type: 'submitted', message: `${id} 1` })
    let rev = 1
    for (let round = 0; round < 12; round++) {
      rev = (await store.update('j1', rev, bump, [{ type: 'log', message: `j1 ${round * 2 + 2}` }, { type: 'log', stage: 0, message: `j1 ${round * 2 + 3}` }])).rev
    }
    await store.update('a!b', 1, bump, [{ type: 'log', message: 'a!b 2' }])
    const events = await store.events('j1')
    assert.deepEqual(events.map(e => e.seq), Array.from({ length: 25 }, (_, i) => i + 1))
    assert.deepEqual(events.map(e => e.message), Array.from({ length: 25 }, (_, i) => `j1 ${i + 1}`))
    assert.ok(events.every((e, i) => i === 0 || e.at >= events[i - 1].at))
    assert.deepEqual((await store.events('j1', 20)).map(e => e.seq), [21, 22, 23, 24, 25])
    assert.deepEqual(await store.events('j1', 25), [])
    for (const id of ids.filter(i => i !== 'j1')) {
      const own = await store.events(id)
      assert.ok(own.every(e => e.message.startsWith(`${id} `)), `events of ${id}: ${own.map(e => e.message).join(', ')}`)
      assert.deepEqual(own.map(e => e.seq), own.map((_, i) => i + 1))
    }
    assert.deepEqual(await store.events('j-none'), [])
  })

  test(`${name}: concurrent updates at one revision: exactly one wins`, async (t) => {
    const { store } = await open(t)
    await store.create(job('j-1'), { type: 'submitted', message: 'submitted' })
    const results = await Promise.allSettled(Array.from({ length: 30 }, async (_, i) => store.update('j-1', 1, bump, [{ type: 'log', message: `writer ${i}` }])))
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 1)
    assert.ok(results.every(r => r.status === 'fulfilled' || r.reason.name === 'ConflictError'))
    const stored = await store.get('j-1') as JobRecord
    assert.equal(stored.rev, 2)
    assert.equal(stored.options.params.n, '1')
    assert.equal((await store.events('j-1')).length, 2)
  })

  test(`${name}: concurrent read-modify-write with retry loses no update and no event`, async (t) => {
    const { store } = await open(t)
    await store.create(job('j-1'), { type: 'submitted', message: 'submitted' })
    const writers = 25
    await Promise.all(Array.from({ length: writers }, async (_, i) => {
      for (let attempt = 0; attempt <= writers; attempt++) {
        const current = await store.get('j-1') as JobRecord
        try {
          await store.update('j-1', current.rev, bump, [{ type: 'log', message: `writer ${i}` }])
          return
        } catch (err: any) {
          if (err.name !== 'ConflictError') throw err
        }
      }
      assert.fail(`writer ${i} never got its update in`)
    }))
    const stored = await store.get('j-1') as JobRecord
    assert.equal(stored.options.params.n, String(writers))
    assert.equal(stored.rev, writers + 1)
    const events = await store.events('j-1')
    assert.deepEqual(events.map(e => e.seq), Array.from({ length: writers + 1 }, (_, i) => i + 1))
    assert.equal(new Set(events.slice(1).map(e => e.message)).size, writers)
  })

  test(`${name}: reopening keeps jobs, revisions and events, and numbering goes on`, async (t) => {
    const fixture = await open(t)
    await fixture.store.create(job('j-1', 1), { type: 'submitted', message: 'submitted' })
    await fixture.store.create(job('j-2', 2), { type: 'submitted', message: 'submitted' })
    await fixture.store.update('j-1', 1, j => { j.stages[0].state = 'bidding' }, [{ type: 'bidding', stage: 0, message: 'bidding' }])
    const before = { list: await fixture.store.list(), events: await fixture.store.events('j-1') }

    const store = await fixture.reopen()
    assert.deepEqual(await store.list(), before.list)
    assert.deepEqual(await store.events('j-1'), before.events)
    await assert.rejects(store.update('j-1', 1, bump), { name: 'ConflictError' })
    const next = await store.update('j-1', 2, bump, [{ type: 'log', message: 'after restart' }])
    assert.equal(next.rev, 3)
    assert.deepEqual((await store.events('j-1')).map(e => e.seq), [1, 2, 3])
    await assert.rejects(store.create(job('j-2'), { type: 'submitted', message: 'again' }), { name: 'ConflictError' })
  })

  test(`${name}: a job stored for a submit request is found by its request id, and one file of a request makes one job`, async (t) => {
    const fixture = await open(t)
    const origin = (index: number): SubmitOrigin => ({ requestId: 'req-aaaaaaaaaaaaaaaa', index, digest: 'd1' })
    await fixture.store.create(job('j-0'), { type: 'submitted', message: 'file 0' }, origin(0))
    await fixture.store.create(job('j-1'), { type: 'submitted', message: 'file 1' }, origin(1))
    // A request id that the first one is a prefix of is another request.
    await fixture.store.create(job('j-x'), { type: 'submitted', message: 'other' }, { requestId: 'req-aaaaaaaaaaaaaaaab', index: 0, digest: 'd2' })
    // Nor is one that holds the separator.
    await fixture.store.create(job('j-bang'), { type: 'submitted', message: 'bang' }, { requestId: 'req-aaaaaaaaaaaaaaaa!0', index: 0, digest: 'd3' })
    await fixture.store.create(job('j-plain'), { type: 'submitted', message: 'no request id' })
    const found = (records: SubmittedJob[]): string[] => records.map(r => `${r.index}:${r.jobId}:${r.digest}`).sort()
    assert.deepEqual(found(await fixture.store.submittedFor('req-aaaaaaaaaaaaaaaa')), ['0:j-0:d1', '1:j-1:d1'])

    const results = await Promise.allSettled(['j-a', 'j-b', 'j-c'].map(async id => fixture.store.create(job(id), { type: 'submitted', message: id }, origin(2))))
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 1, 'only one job is stored for file 2 of the request')
    assert.ok(results.every(r => r.status === 'fulfilled' || r.reason.name === 'ConflictError'))
    await assert.rejects(fixture.store.create(job('j-again'), { type: 'submitted', message: 'again' }, origin(0)), { name: 'ConflictError' })
    assert.equal(await fixture.store.get('j-again'), undefined, 'a refused job is not stored either')
    assert.equal((await fixture.store.list()).length, 6)

    const store = await fixture.reopen()
    assert.equal((await store.submittedFor('req-aaaaaaaaaaaaaaaa')).length, 3, 'request ids outlive a restart')
  })

  test(`${name}: request ids stored before a time are forgotten; their jobs stay`, async (t) => {
    const { store } = await open(t)
    for (let i = 0; i < 5; i++) await store.create(job(`j-old-${i}`), { type: 'submitted', message: 'old' }, { requestId: `old-request-${i}-xxxxxxx`, index: 0, digest: 'd' })
    await new Promise(resolve => setTimeout(resolve, 5))
    const cut = Date.now()
    await new Promise(resolve => setTimeout(resolve, 5))
    await store.create(job('j-new'), { type: 'submitted', message: 'new' }, { requestId: 'new-request-xxxxxxxx', index: 0, digest: 'd' })
    assert.equal(await store.forgetSubmitsBefore(cut), 5)
    assert.equal(await store.forgetSubmitsBefore(cut), 0)
    assert.deepEqual(await store.submittedFor('old-request-0-xxxxxxx'), [])
    assert.equal((await store.submittedFor('new-request-xxxxxxxx')).length, 1)
    assert.equal((await store.list()).length, 6)
    // Forgotten, the id is free again.
    await store.create(job('j-reused'), { type: 'submitted', message: 'reused' }, { requestId: 'old-request-0-xxxxxxx', index: 0, digest: 'd' })
  })
}
