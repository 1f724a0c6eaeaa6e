import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Limit } from '../../src/common/limit.js'

/** A task that runs until `finish` is called, noting when it started. */
function held (started: string[], name: string): { task: () => Promise<string>, finish: () => void } {
  let finish = (): void => {}
  const done = new Promise<void>(resolve => { finish = resolve })
  return { task: async () => { started.push(name); await done; return name }, finish }
}

const settle = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

test('a limit runs at most max tasks at once, the others in the order they came', async () => {
  const limit = new Limit(2)
  const started: string[] = []
  const tasks = ['a', 'b', 'c', 'd'].map(name => held(started, name))
  const results = tasks.map(async t => limit.run(t.task))
  await settle()
  assert.deepEqual(started, ['a', 'b'])
  assert.equal(limit.running, 2)
  tasks[1].finish()
  await settle()
  assert.deepEqual(started, ['a', 'b', 'c'])
  tasks[0].finish()
  tasks[2].finish()
  tasks[3].finish()
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd'])
  assert.equal(limit.running, 0)
})

test('a task that throws frees its slot', async () => {
  const limit = new Limit(1)
  await assert.rejects(limit.run(async () => { throw new Error('tool failed') }), /tool failed/)
  assert.equal(await limit.run(async () => 'next'), 'next')
})

test('a waiting task given up by its signal leaves the queue without running, and the others keep their turn', async () => {
  const limit = new Limit(1)
  const started: string[] = []
  const first = held(started, 'first')
  const running = limit.run(first.task)
  const abort = new AbortController()
  const revoked = limit.run(held(started, 'revoked').task, abort.signal)
  const last = held(started, 'last')
  const after = limit.run(last.task)
  await settle()
  abort.abort(new Error('the requester revoked the award'))
  await assert.rejects(revoked, /revoked the award/)
  first.finish()
  await running
  await settle()
  assert.deepEqual(started, ['first', 'last'])
  last.finish()
  await after
  // Already given up before it asked: it never waits.
  await assert.rejects(limit.run(async () => 'never', abort.signal), /revoked the award/)
  assert.deepEqual(started, ['first', 'last'])
})

test('a limit read from a function follows a changed max: more slots let waiters in at the next turn, fewer hold new ones back', async () => {
  let max = 1
  const limit = new Limit(() => max)
  const started: string[] = []
  const tasks = ['a', 'b', 'c', 'd'].map(name => held(started, name))
  const results = tasks.map(async t => limit.run(t.task))
  await settle()
  assert.deepEqual(started, ['a'])
  max = 3
  tasks[0].finish()
  await settle()
  assert.deepEqual(started, ['a', 'b', 'c', 'd'])
  max = 1
  const fifth = held(started, 'e')
  const e = limit.run(fifth.task)
  tasks[1].finish()
  tasks[2].finish()
  await settle()
  assert.deepEqual(started, ['a', 'b', 'c', 'd'], 'd still runs and max is 1 again: e waits')
  tasks[3].finish()
  await settle()
  assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e'])
  fifth.finish()
  await Promise.all([...results, e])
})
