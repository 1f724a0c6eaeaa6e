import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PowerBudget, type PowerGossip } from '../../src/printer/power-budget.js'

type Listener = (evt: CustomEvent<any>) => void

/** Gossip among budgets in this process: each message reaches every other member that is still connected. */
class Bus {
  readonly members = new Map<string, Set<Listener>>()
  readonly cut = new Set<string>()

  join (peer: string): PowerGossip {
    const listeners = new Set<Listener>()
    this.members.set(peer, listeners)
    return {
      subscribe: () => {},
      unsubscribe: () => {},
      addEventListener: (_type, listener) => { listeners.add(listener) },
      removeEventListener: (_type, listener) => { listeners.delete(listener) },
      publish: async (topic, data) => {
        if (this.cut.has(peer)) return
        setImmediate(() => {
          for (const [other, set] of this.members) {
            if (other === peer || this.cut.has(other)) continue
            for (const listener of set) listener(new CustomEvent('message', { detail: { topic, type: 'signed', from: { toString: () => peer }, data } }))
          }
        })
      }
    }
  }
}

const CONFIG = { group: 'bench-a', maxHeating: 2, leaseMs: 1000, renewMs: 200 }

function budgets (t: { after: (fn: () => void) => void }, bus: Bus, count: number): PowerBudget[] {
  return Array.from({ length: count }, (_, i) => {
    const budget = new PowerBudget({ gossip: bus.join(`peer-${i}`), self: `peer-${i}` }, CONFIG)
    budget.start()
    t.after(() => { budget.stop() })
    return budget
  })
}

/** Which acquisitions have resolved so far. */
function track (acquiring: Array<Promise<void>>): { done: Set<number>, settled: Promise<unknown> } {
  const done = new Set<number>()
  const settled = Promise.allSettled(acquiring.map(async (p, i) => { await p; done.add(i) }))
  return { done, settled }
}

async function until (what: string | (() => string), check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

test('three printers, two slots: two heat, the third waits until one is done, in the order they asked', async (t) => {
  const bus = new Bus()
  const [a, b, c] = budgets(t, bus, 3)
  const signal = AbortSignal.timeout(30_000)
  const first = a.acquire('p0', signal)
  await new Promise(resolve => setTimeout(resolve, 30))
  const second = b.acquire('p1', signal)
  await new Promise(resolve => setTimeout(resolve, 30))
  const third = c.acquire('p2', signal)
  const { done } = track([first, second, third])
  await until('two printers heating', () => done.size === 2)
  assert.deepEqual([...done].sort(), [0, 1], 'the first two to ask heat')
  await new Promise(resolve => setTimeout(resolve, 600))
  assert.equal(done.has(2), false, 'the third still waits')
  assert.deepEqual(c.status().slots.map(s => [s.printer, s.state]), [['p0', 'heating'], ['p1', 'heating'], ['p2', 'waiting']])
  a.release('p0')
  await until('the third heating', () => done.has(2))
})

test('a holder that falls silent loses its slot when its lease lapses; a waiter that gives up leaves the line', async (t) => {
  const bus = new Bus()
  const [a, b, c] = budgets(t, bus, 3)
  const signal = AbortSignal.timeout(30_000)
  await Promise.all([a.acquire('p0', signal), b.acquire('p1', signal)])
  const giveUp = new AbortController()
  const quitter = c.acquire('p2', giveUp.signal)
  await until('p2 waiting at a', () => a.status().slots.some(s => s.printer === 'p2' && s.state === 'waiting'))
  giveUp.abort(new Error('cancelled'))
  await assert.rejects(quitter, /cancelled/)
  await until('p2 gone from the line at a', () => !a.status().slots.some(s => s.printer === 'p2'))

  const waiter = c.acquire('p2', signal)
  const { done } = track([waiter])
  bus.cut.add('peer-1')
  await until('p2 heating once p1 lapsed', () => done.has(0))
  // c heats as soon as it sees p1's lease lapse; a learns of it from c's next claim.
  const atA = (): string => JSON.stringify(a.status().slots.map(s => [s.printer, s.state]))
  await until(() => `a to see p2 heating, last seen ${atA()}`, () => atA() === JSON.stringify([['p0', 'heating'], ['p2', 'heating']]), 3_000)
})
