import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import fc from 'fast-check'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { decodeRequest, decodeResponse } from '../../src/market/codec.js'
import { MARKET_PROTOCOL } from '../../src/market/constants.js'
import { DirectChannel, PeerFailedError, type Request } from '../../src/market/direct.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/net/libp2p.js'
import { marketRequest } from './arbitraries.js'

interface Peer {
  node: MeshLibp2p
  channel: DirectChannel
  /** Requests the OFFER handler received, with the peer they came from. */
  received: Array<{ request: MarketRequest, from: string }>
}

async function startPeer (t: TestContext): Promise<Peer> {
  const node = await createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: { enabled: false, intervalMs: 1000 }
  })
  const channel = new DirectChannel(node)
  const received: Peer['received'] = []
  channel.on(MarketRequest.Kind.OFFER, async (request, from) => {
    received.push({ request, from })
    return { status: MarketResponse.Status.OK, message: `accepted ${request.stage?.jobId}` }
  })
  await channel.start()
  t.after(async () => {
    await channel.stop()
    await node.stop()
  })
  return { node, channel, received }
}

async function startPair (t: TestContext): Promise<{ a: Peer, b: Peer }> {
  const a = await startPeer(t)
  const b = await startPeer(t)
  await a.node.dial(b.node.getMultiaddrs()[0])
  return { a, b }
}

const offer = (jobId: string): Request => ({
  kind: MarketRequest.Kind.OFFER,
  stage: { jobId, index: 0, attempt: 1, kind: 'slice', input: { hash: 'c'.repeat(64), size: 3, name: 'part.stl', holders: [] }, extra: [], params: new Map([['w', '10']]), profile: 'pla-0.2mm', printer: '', material: '', requester: 'x', requesterName: 'x' },
  token: 3,
  progress: 0,
  log: [],
  ok: false,
  error: '',
  command: [],
  cached: false,
  tool: '',
  started: false,
  retryable: false,
  inline: [],
  wantOutput: false
})

/**
 * Sends `bytes` on a market stream the way a broken or hostile peer would (framed or raw), and returns the
 * response it got, or the error its stream ended with.
 */
async function sendRaw (from: Peer, to: Peer, bytes: Uint8Array, framed: boolean): Promise<MarketResponse | Error> {
  const signal = AbortSignal.timeout(10_000)
  const stream = await from.node.dialProtocol(to.node.peerId, MARKET_PROTOCOL, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: 4096 })
    if (framed) await lp.write(bytes, { signal })
    else if (bytes.byteLength > 0 && !stream.send(bytes)) await stream.onDrain({ signal })
    await stream.close({ signal })
    return decodeResponse((await lp.read({ signal })).subarray())
  } catch (err) {
    stream.abort(err as Error)
    return err as Error
  }
}

test('a request round-trips between two peers, and the handler learns who sent it', async (t) => {
  const { a, b } = await startPair(t)
  const response = await a.channel.send(b.node.peerId.toString(), offer('j-1'))
  assert.deepEqual(response, { status: MarketResponse.Status.OK, message: 'accepted j-1', id: 1 })
  assert.equal(b.received.length, 1)
  assert.equal(b.received[0].from, a.node.peerId.toString())
  assert.deepEqual(b.received[0].request, { ...offer('j-1'), id: 1 })
})

test('any valid request arrives intact', async (t) => {
  const { a, b } = await startPair(t)
  b.channel.on(MarketRequest.Kind.RENEW, async (request) => ({ status: MarketResponse.Status.OK, message: request.stage?.jobId ?? '' }))
  b.channel.on(MarketRequest.Kind.RESULT, async (request) => ({ status: MarketResponse.Status.UNKNOWN, message: request.stage?.jobId ?? '' }))
  await fc.assert(fc.asyncProperty(marketRequest, async (request) => {
    const before = b.received.length
    const response = await a.channel.send(b.node.peerId.toString(), request)
    assert.equal(response.message, request.kind === MarketRequest.Kind.OFFER ? `accepted ${request.stage?.jobId}` : request.stage?.jobId)
    // Bytes decoded from the network are Buffers; compare their content as plain Uint8Arrays.
    const plainBytes = (r: MarketRequest): MarketRequest => ({ ...r, inline: r.inline.map(i => ({ hash: i.hash, content: Uint8Array.from(i.content) })) })
    if (request.kind === MarketRequest.Kind.OFFER) assert.deepEqual(b.received.slice(before).map(r => plainBytes({ ...r.request, id: request.id })), [plainBytes(request)])
  }), { numRuns: 25 })
})

test('a request to itself skips the network; a kind with no handler is a bad request', async (t) => {
  const a = await startPeer(t)
  const self = a.node.peerId.toString()
  assert.equal((await a.channel.send(self, offer('j-self'))).status, MarketResponse.Status.OK)
  assert.equal(a.received[0].from, self)
  assert.equal((await a.channel.send(self, { ...offer('j-self'), kind: MarketRequest.Kind.RESULT })).status, MarketResponse.Status.BAD_REQUEST)
})

test('a handler that throws fails that request with its message; the sender gets an error, not a hang', async (t) => {
  const { a, b } = await startPair(t)
  b.channel.on(MarketRequest.Kind.RENEW, async () => { throw new Error('store is down') })
  await assert.rejects(a.channel.send(b.node.peerId.toString(), { ...offer('j-1'), kind: MarketRequest.Kind.RENEW }), (err: Error) => err instanceof PeerFailedError && err.message === 'store is down')
  assert.equal((await a.channel.send(b.node.peerId.toString(), offer('j-2'))).status, MarketResponse.Status.OK)
})

const marketStreams = (from: Peer, to: Peer): number =>
  from.node.getConnections(to.node.peerId).flatMap(c => c.streams).filter(s => s.protocol === MARKET_PROTOCOL && s.status === 'open').length

test('requests share one kept stream, answers find their requests in any order, and a slow one holds up no other', async (t) => {
  const { a, b } = await startPair(t)
  // The handler answers job j-N after (10 - N) * 20 ms: the first sent is answered last.
  b.channel.on(MarketRequest.Kind.RENEW, async (request) => {
    const n = Number(request.stage?.jobId.slice(2))
    await new Promise(resolve => setTimeout(resolve, (10 - n) * 20))
    return { status: MarketResponse.Status.OK, message: request.stage?.jobId ?? '' }
  })
  const order: string[] = []
  const answers = await Promise.all(Array.from({ length: 10 }, async (_, n) => {
    const response = await a.channel.send(b.node.peerId.toString(), { ...offer(`j-${n}`), kind: MarketRequest.Kind.RENEW })
    order.push(response.message)
    return response.message
  }))
  assert.deepEqual(answers, Array.from({ length: 10 }, (_, n) => `j-${n}`))
  assert.equal(order[0], 'j-9', 'the quickest answer came first')
  assert.equal(marketStreams(a, b), 1)
  await a.channel.send(b.node.peerId.toString(), offer('j-again'))
  assert.equal(marketStreams(a, b), 1, 'a later request reuses the stream')
})

test('a request that times out fails alone; the stream goes on serving the others', async (t) => {
  const { a, b } = await startPair(t)
  b.channel.on(MarketRequest.Kind.RESULT, async () => new Promise(() => {}))
  await assert.rejects(a.channel.send(b.node.peerId.toString(), { ...offer('j-stuck'), kind: MarketRequest.Kind.RESULT }, AbortSignal.timeout(200)), { name: 'TimeoutError' })
  assert.equal((await a.channel.send(b.node.peerId.toString(), offer('j-next'))).status, MarketResponse.Status.OK)
  assert.equal(marketStreams(a, b), 1)
})

test('when the connection drops, requests in flight fail at once and the next one opens a new stream', async (t) => {
  const { a, b } = await startPair(t)
  b.channel.on(MarketRequest.Kind.RESULT, async () => new Promise(() => {}))
  const stuck = a.channel.send(b.node.peerId.toString(), { ...offer('j-stuck'), kind: MarketRequest.Kind.RESULT }, AbortSignal.timeout(30_000))
  await new Promise(resolve => setTimeout(resolve, 100))
  const began = Date.now()
  await a.node.hangUp(b.node.peerId)
  await assert.rejects(stuck, /market stream .* ended/)
  assert.ok(Date.now() - began < 5000, 'the request failed with the connection, not at its timeout')
  await a.node.dial(b.node.getMultiaddrs()[0])
  assert.equal((await a.channel.send(b.node.peerId.toString(), offer('j-after'))).status, MarketResponse.Status.OK)
})

test('garbage on the market protocol gets its stream aborted, and the node keeps answering good requests', async (t) => {
  const { a, b } = await startPair(t)
  const hugePrefix = fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 3, maxLength: 9 }).map(bytes => Uint8Array.from([...bytes, 0x01, 0x02]))
  const garbage = fc.oneof(
    fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }), framed: fc.boolean() }),
    fc.record({ bytes: hugePrefix, framed: fc.constant(false) })
  )
  await fc.assert(fc.asyncProperty(garbage, async ({ bytes, framed }) => {
    // Skip the astronomically rare random bytes that form a valid request.
    let valid = true
    try { decodeRequest(bytes) } catch { valid = false }
    fc.pre(!valid || !framed)
    const answer = await sendRaw(a, b, bytes, framed)
    assert.ok(answer instanceof Error, `garbage got an answer: ${JSON.stringify(answer)}`)
  }), { numRuns: 30 })
  // An over-long frame: bigger than any market message may be.
  assert.ok(await sendRaw(a, b, new Uint8Array(300 * 1024), true) instanceof Error)
  assert.deepEqual(b.received, [])
  assert.equal(a.node.getConnections(b.node.peerId).length > 0, true)
  assert.equal((await a.channel.send(b.node.peerId.toString(), offer('j-after'))).status, MarketResponse.Status.OK)
})

test('a peer that opens a stream and says nothing does not hold up others', async (t) => {
  const { a, b } = await startPair(t)
  const silent = await a.node.dialProtocol(b.node.peerId, MARKET_PROTOCOL)
  t.after(() => { silent.abort(new Error('test over')) })
  assert.equal((await a.channel.send(b.node.peerId.toString(), offer('j-busy'))).status, MarketResponse.Status.OK)
})
