import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Level } from 'level'
import { MarketRequest, MarketResponse, type Award, type Bid, type StageSpec } from '../../protocols/market.js'
import type { Request } from '../../src/market/direct.js'
import { WorkQueue, type WorkQueueComponents } from '../../src/compute/work-queue.js'
import { defaultConfig } from '../../src/config/node-config.js'
import type { Executor } from '../../src/executors/executor.js'
import { PrintDesk } from '../../src/printer/print-desk.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { waitFor } from '../lan/wait.js'

const REQUESTER = 'requester-peer'

/**
 * The jobs topic and market channel as the work queue sees them, with no mesh behind them: the test announces and
 * awards on the topic, and reads the bids the queue sends its requester.
 */
class MarketStub {
  announce: (spec: StageSpec, from: string) => void = () => {}
  award: (award: Award, from: string) => void = () => {}
  readonly bids: Bid[] = []
  /** Whom each bid went to. */
  readonly sentTo: string[] = []
  private waiter: (() => void) | undefined

  onAnnounce (handler: (spec: StageSpec, from: string) => void): void { this.announce = handler }
  onAward (handler: (award: Award, from: string) => void): void { this.award = handler }

  on (): void {}

  async send (peerId: string, request: Request): Promise<MarketResponse> {
    if (request.kind !== MarketRequest.Kind.BID || request.bid == null) throw new Error('no award is offered in this test')
    this.bids.push(request.bid)
    this.sentTo.push(peerId)
    this.waiter?.()
    return { status: MarketResponse.Status.OK, message: '', id: 0 }
  }

  /** The bid published for the next announcement: bidding waits on the disk and the stage cache. */
  async bidFor (spec: StageSpec): Promise<Bid> {
    const before = this.bids.length
    const published = new Promise<void>(resolve => { this.waiter = resolve })
    this.announce(spec, spec.requester)
    const deadline = AbortSignal.timeout(30_000)
    while (this.bids.length === before) {
      deadline.throwIfAborted()
      await Promise.race([published, new Promise(resolve => setTimeout(resolve, 100))])
    }
    return this.bids[before]
  }
}

function stage (jobId: string): StageSpec {
  return { jobId, index: 0, attempt: 1, kind: 'noop', extra: [], params: new Map(), profile: '', printer: '', material: '', requester: REQUESTER, requesterName: 'requester' }
}

test('a work queue driven by a stub market: open bids fill its queue, and an award to another peer frees a place', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-work-bids-'))
  t.after(async () => rm(dataDir, { recursive: true, force: true }))
  const config = defaultConfig()
  config.dataDir = dataDir
  // Room for four stages: one running and three queued; no disk floor, so the machine's disk does not decide.
  config.market = { ...config.market, maxConcurrent: 1, minFreeDiskBytes: 0 }
  const executor: Executor = { tool: { stage: 'noop', name: 'noop', version: '1', embedded: true }, run: async () => { throw new Error('no stage runs in this test') } }
  const topic = new MarketStub()
  const components: WorkQueueComponents = {
    db: { sublevel: () => ({}) } as unknown as WorkQueueComponents['db'],
    topic,
    channel: topic,
    blobs: {} as unknown as WorkQueueComponents['blobs'],
    store: { has: async () => false } as unknown as WorkQueueComponents['store'],
    cache: { lookup: async () => undefined } as unknown as WorkQueueComponents['cache']
  }
  // Constructed, not started: bidding needs no database, which is the point of handing it only what it uses.
  const work = new WorkQueue(components, {
    sign: async () => { throw new Error('no stage runs in this test, so none is signed') },
    self: 'executor-peer',
    selfName: 'executor',
    dataDir,
    config: () => config,
    executorFor: spec => spec.kind === 'noop' ? executor : undefined,
    semantic: [spec => spec.requester === REQUESTER ? null : { reason: `does not work for ${spec.requester}` }],
    reserve: () => null,
    release: () => {}
  })
  for (const id of ['j1', 'j2', 'j3', 'j4']) {
    const bid = await topic.bidFor(stage(id))
    assert.equal(bid.accept, true, `${id}: ${bid.reason}`)
    assert.equal(bid.reason, 'noop 1')
  }
  const full = await topic.bidFor(stage('j5'))
  assert.deepEqual({ accept: full.accept, busy: full.busy, reason: full.reason }, { accept: false, busy: true, reason: 'queue full (4 stages)' })

  // An award for j1 from a peer that is not j1's requester settles nothing.
  topic.award({ jobId: 'j1', index: 0, attempt: 1, winner: 'someone-else', token: 1 }, 'impostor')
  assert.equal((await topic.bidFor(stage('j6'))).accept, false)
  // j1's own requester gives it to another peer: that bid no longer holds a place.
  topic.award({ jobId: 'j1', index: 0, attempt: 1, winner: 'someone-else', token: 1 }, REQUESTER)
  const freed = await topic.bidFor(stage('j7'))
  assert.equal(freed.accept, true, freed.reason)
  // Open bids hold places in the queue, but the node reports no stage queued or running: none was awarded.
  assert.deepEqual(work.load(), { queued: 0, running: 0 })

  const stranger = await topic.bidFor({ ...stage('j8'), requester: 'stranger' })
  assert.deepEqual({ accept: stranger.accept, reason: stranger.reason }, { accept: false, reason: 'does not work for stranger' })
  // Each bid, a refusal too, went to the requester that announced its stage, and to no one else.
  assert.deepEqual(topic.sentTo, [...Array(topic.sentTo.length - 1).fill(REQUESTER), 'stranger'])
})

test('a printer\'s bid that won keeps the printer for its offer past the bid\'s hold; one that lost lets it go', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-work-award-'))
  const db = new Level<string, any>(join(dataDir, 'db'), { valueEncoding: 'json' })
  const config = defaultConfig()
  config.dataDir = dataDir
  // A bid holds the printer for two bid windows: 40 ms.
  config.market = { ...config.market, bidWindowMs: 20, minFreeDiskBytes: 0 }
  const printer = parsePrinterConfig({ name: 'vp', port: 'virtual', baud: 250000, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', bedClearsItself: true, virtual: { speedUp: 50, faults: [] } }, 'printers[0]')
  const desk = new PrintDesk(db, dataDir, [printer], () => {}, 'executor-peer')
  t.after(async () => {
    await desk.stop()
    await db.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  await desk.start()
  const print = (jobId: string): StageSpec => ({ ...stage(jobId), kind: 'print' })
  await waitFor(() => desk.refusal(print('j1')) == null, { timeoutMs: 10_000, intervalMs: 20, what: 'the virtual printer to come online' })
  const topic = new MarketStub()
  const components: WorkQueueComponents = {
    db: { sublevel: () => ({}) } as unknown as WorkQueueComponents['db'],
    topic,
    channel: topic,
    blobs: {} as unknown as WorkQueueComponents['blobs'],
    store: { has: async () => false } as unknown as WorkQueueComponents['store'],
    cache: { lookup: async () => undefined } as unknown as WorkQueueComponents['cache']
  }
  new WorkQueue(components, {
    sign: async () => { throw new Error('no stage runs in this test, so none is signed') },
    self: 'executor-peer',
    selfName: 'executor',
    dataDir,
    config: () => config,
    executorFor: spec => desk.executorFor(spec),
    semantic: [spec => desk.refusal(spec)],
    reserve: (spec, until) => desk.reserve(spec, until),
    release: spec => { desk.release(spec) }
  })

  assert.equal((await topic.bidFor(print('j1'))).accept, true)
  await waitFor(() => desk.refusal(print('j2')) == null, { timeoutMs: 10_000, intervalMs: 5, what: 'the bid\'s hold on the printer to lapse' })
  // The award names this node: its offer is on its way, and the printer waits for it.
  topic.award({ jobId: 'j1', index: 0, attempt: 1, winner: 'executor-peer', token: 1 }, REQUESTER)
  const meanwhile = await topic.bidFor(print('j2'))
  assert.deepEqual({ accept: meanwhile.accept, busy: meanwhile.busy, reason: meanwhile.reason }, { accept: false, busy: true, reason: 'printer vp is reserved for job j1' })

  // Its offer never came, and the requester gave the stage to another peer: the printer is free at once.
  topic.award({ jobId: 'j1', index: 0, attempt: 1, winner: 'someone-else', token: 2 }, REQUESTER)
  assert.equal(desk.refusal(print('j2')), null)
})
