/**
 * The market past this machine: an in-process model of one stage's auction on a mesh of N peers, with every
 * message built, signed, verified and decoded by the real code (gossipsub's own signing and checking of a
 * StrictSign message, the market codec, the bid strategies, the requester's pickWinner), and the fan-out of
 * gossipsub as configured in src/net/libp2p.ts: flood publishing to every peer, then each peer forwarding to
 * its mesh of D = 2 (a ring), where the copies are dropped as duplicates by their fast message id. It prints
 * messages, bytes and CPU per job as the mesh grows, for three designs:
 *  - gossip bids: jobs/1.0.0, every bid published on the topic for every peer to verify;
 *  - direct bids: jobs/1.1.0, each bid straight to the requester on its market stream, the announcement and
 *    award still on gossip;
 *  - sampled (today's code for every stage but a print): the requester asks K peers on their market streams
 *    (MarketRequest ANNOUNCE, whose answer carries the bid) and tells the accepting losers of the award
 *    (MarketRequest AWARD). The second round that asks every other peer when none of the K takes the stage
 *    does not happen here: every peer has room.
 * Not counted, in every design alike: noise encryption, yamux framing and the socket writes of each message, so
 * CPU here is the floor of a message's cost; messages and bytes are what those costs scale with. One stage per
 * job, every peer offering it, the requester offering nothing (as bench/market.ts).
 * Run after `npm run build`:  node dist/bench/market-sim.js [--sizes 2,5,10,20,100,500] [--jobs 20] [--designs sampled] [--smoke]
 * `--smoke` (sizes 2, 5, 10 and 2 jobs unless given) checks that the bench works.
 */
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { GossipMessage, MarketRequest, MarketResponse, type Bid, type StageSpec } from '../protocols/market.js'
import { firstRefusal, hasTool, offersStage, resourceVerdict, RunHistory, trustsRequester, type SemanticStrategy } from '../src/compute/bid-strategies.js'
import { defaultConfig } from '../src/config/node-config.js'
import { decodeGossip, decodeRequest, decodeResponse } from '../src/market/codec.js'
import { JOBS_TOPIC } from '../src/market/constants.js'
import { fastMessageId } from '../src/net/fast-message-id.js'
import { withKeptSigningKey } from '../src/net/signing-key.js'
import { pickWinner } from '../src/requester/coordinator.js'
import type { Executor } from '../src/executors/executor.js'
import type { BidRecord } from '../src/jobs/job.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, sizes: { type: 'string', default: smoke ? '2,5,10' : '2,5,10,20,100,500' }, jobs: { type: 'string' }, sample: { type: 'string', default: '3' }, designs: { type: 'string', default: 'gossip bids,direct bids,sampled' } } })
const sizes = (values.sizes as string).split(',').map(Number)
const sample = Number(values.sample)
/** Jobs per size: fewer on big meshes, where one job of the gossip design is N² verifications. */
const jobsAt = (n: number): number => values.jobs != null ? Number(values.jobs) : smoke ? 2 : n <= 20 ? 20 : n <= 100 ? 3 : 1

// gossipsub's own signing and checking, which its package does not export by name.
const gossipUtils = new URL('./utils/buildRawMessage.js', import.meta.resolve('@libp2p/gossipsub'))
const { buildRawMessage, validateToRawMessage } = await import(gossipUtils.href)
const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
const SIGNING = 0

type Design = 'gossip bids' | 'direct bids' | 'sampled'

interface Peer {
  index: number
  peerId: PeerId
  id: string
  publish: { type: number, author: PeerId, key: Uint8Array, privateKey: PrivateKey }
  seen: Set<string>
  cpuUs: number
  semantic: SemanticStrategy[]
  history: RunHistory
  queued: number
}

interface Tally { messages: number, bytes: number }

const NOOP: Executor = { tool: { stage: 'noop', name: 'noop', version: '1', embedded: true }, run: async () => { throw new Error('nothing runs in the simulation') } }

async function makePeers (n: number): Promise<Peer[]> {
  const config = defaultConfig()
  const peers: Peer[] = []
  for (let index = 0; index < n; index++) {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key)
    const id = peerId.toString()
    // The requester (peer 0) offers nothing, so every stage goes to another peer.
    const offers = index === 0 ? [] : ['noop']
    const own = { ...config, offers }
    peers.push({
      index, peerId, id, publish: { type: SIGNING, author: peerId, key: publicKeyToProtobuf(key.publicKey), privateKey: withKeptSigningKey(key) },
      seen: new Set(), cpuUs: 0, history: new RunHistory(), queued: 0,
      semantic: [offersStage(() => own), trustsRequester(() => own, id), hasTool(() => [NOOP], () => [])]
    })
  }
  return peers
}

/** Runs `work` as `peer`, adding the CPU it took to the peer's account. */
function as<T> (peer: Peer, work: () => T): T {
  const before = process.cpuUsage()
  try {
    return work()
  } finally {
    const spent = process.cpuUsage(before)
    peer.cpuUs += spent.user + spent.system
  }
}

async function asAsync<T> (peer: Peer, work: () => Promise<T>): Promise<T> {
  const before = process.cpuUsage()
  try {
    return await work()
  } finally {
    const spent = process.cpuUsage(before)
    peer.cpuUs += spent.user + spent.system
  }
}

/** A length-prefixed frame's bytes on the wire, before encryption. */
const framed = (bytes: number): number => bytes + (bytes < 128 ? 1 : bytes < 16384 ? 2 : 3)

/**
 * One gossip message from `author` to every peer: flooded to each, then forwarded by each to its two ring
 * neighbours (not back to the author or the sender), where it is a duplicate. Returns the decoded message at
 * each peer that took it.
 */
async function broadcast (peers: Peer[], author: Peer, message: GossipMessage, tally: Tally, deliver: (peer: Peer, msg: GossipMessage) => void): Promise<void> {
  const rpcBytes = await asAsync(author, async () => {
    const { raw } = await buildRawMessage(author.publish, JOBS_TOPIC, GossipMessage.encode(message), GossipMessage.encode(message))
    return RPC.encode({ subscriptions: [], messages: [raw] })
  })
  const n = peers.length
  const receive = async (to: Peer, from: Peer): Promise<boolean> => {
    tally.messages++
    tally.bytes += framed(rpcBytes.byteLength)
    return asAsync(to, async () => {
      const rpc = RPC.decode(rpcBytes)
      const raw = rpc.messages[0]
      const id = fastMessageId(raw)
      if (to.seen.has(id)) return false
      to.seen.add(id)
      const checked = await validateToRawMessage('StrictSign', raw)
      if (!checked.valid) throw new Error(`the simulation's own message did not verify: ${checked.error}`)
      deliver(to, decodeGossip(checked.message.data))
      // gossipsub encodes the message again for each forward.
      RPC.encode({ subscriptions: [], messages: [raw] })
      return true
    })
  }
  for (const to of peers) if (to !== author) await receive(to, author)
  for (const peer of peers) {
    if (peer === author) continue
    for (const next of [peers[(peer.index + 1) % n], peers[(peer.index + n - 1) % n]]) {
      if (next !== author && next !== peer) await receive(next, peer)
    }
  }
}

/** A request on a kept market stream and its answer (with what `handle` adds), each encoded and decoded by its own end. */
function direct (from: Peer, to: Peer, request: Omit<MarketRequest, 'id'>, tally: Tally, handle: (request: MarketRequest) => Partial<MarketResponse> | undefined | void = () => {}): MarketResponse {
  const bytes = as(from, () => MarketRequest.encode({ ...request, id: 1 }))
  const answer = as(to, () => MarketResponse.encode({ status: MarketResponse.Status.OK, message: '', id: 1, ...(handle(decodeRequest(bytes)) ?? {}) }))
  tally.messages += 2
  tally.bytes += framed(bytes.byteLength) + framed(answer.byteLength)
  return as(from, () => decodeResponse(answer))
}

const request = (kind: MarketRequest.Kind, fields: Partial<MarketRequest>): Omit<MarketRequest, 'id'> =>
  ({ kind, token: 0, progress: 0, log: [], ok: false, error: '', command: [], cached: false, tool: '', started: false, retryable: false, inline: [], wantOutput: false, ...fields })

/** An executor's bid, by the real strategies, on its real load; its CPU counted by the caller. */
function bidFor (peer: Peer, spec: StageSpec): Bid {
  {
    const base = { jobId: spec.jobId, index: spec.index, attempt: spec.attempt, bidderName: `peer-${peer.index}`, holdsInput: false, cached: false, etaMs: 0, etaKnown: false, busy: false }
    const refusal = firstRefusal(peer.semantic, spec)
    if (refusal != null) return { ...base, accept: false, reason: refusal.reason, busy: refusal.busy ?? false }
    const verdict = resourceVerdict({ queued: peer.queued, running: 0 }, 2, peer.history.typicalMs(spec.kind))
    return { ...base, accept: verdict.accept, reason: verdict.accept ? 'noop 1' : verdict.reason, etaMs: verdict.etaMs, busy: verdict.busy }
  }
}

const toRecord = (bid: Bid, from: string): BidRecord => ({ attempt: bid.attempt, peerId: from, peerName: bid.bidderName, accept: bid.accept, reason: bid.reason, etaMs: bid.etaMs, cached: bid.cached, busy: bid.busy, holdsInput: bid.holdsInput })

async function runJob (peers: Peer[], design: Design, job: number, tally: Tally): Promise<void> {
  const requester = peers[0]
  const input = { hash: 'ab'.repeat(32), size: 18, name: 'part.txt', holders: [requester.id] }
  const spec: StageSpec = { jobId: `job-${job}`, index: 0, attempt: 1, kind: 'noop', input, extra: [], params: new Map(), profile: '', printer: '', material: '', requester: requester.id, requesterName: 'peer-0' }
  const bids = new Map<string, BidRecord>()
  const byId = new Map(peers.map(p => [p.id, p]))
  const receiveBid = (bid: Bid, from: string): void => { as(requester, () => bids.set(from, toRecord(bid, from))) }
  const others = peers.slice(1)
  // The sampled design asks K of the peers that offer the stage, the next ones in turn (as the coordinator does).
  const asked = design === 'sampled' ? Array.from({ length: Math.min(sample, others.length) }, (_, i) => others[(job * sample + i) % others.length]) : others

  if (design === 'sampled') {
    for (const peer of asked) {
      const answer = direct(requester, peer, request(MarketRequest.Kind.ANNOUNCE, { stage: spec }), tally, () => ({ bid: bidFor(peer, spec) }))
      if (answer.bid != null) receiveBid(answer.bid, peer.id)
    }
  } else {
    const heard: Peer[] = []
    await broadcast(peers, requester, { kind: GossipMessage.Kind.ANNOUNCE, announce: spec }, tally, (peer, msg) => { if (msg.announce != null) heard.push(peer) })
    if (heard.length !== others.length) throw new Error(`${heard.length} of ${others.length} peers heard the announcement`)
  }
  for (const peer of design === 'sampled' ? [] : asked) {
    const bid = as(peer, () => bidFor(peer, spec))
    if (design === 'gossip bids') {
      await broadcast(peers, peer, { kind: GossipMessage.Kind.BID, bid }, tally, (at, msg) => { if (at === requester && msg.bid != null) receiveBid(msg.bid, peer.id) })
    } else {
      direct(peer, requester, request(MarketRequest.Kind.BID, { bid }), tally, req => { if (req.bid != null) receiveBid(req.bid, peer.id) })
    }
  }
  if (bids.size !== asked.length) throw new Error(`${bids.size} of ${asked.length} bids reached the requester`)
  const winner = as(requester, () => pickWinner([...bids.values()]))
  if (winner == null) throw new Error('no bid won')
  const executor = byId.get(winner.peerId) as Peer
  const award = { jobId: spec.jobId, index: 0, attempt: 1, winner: winner.peerId, token: job + 1 }
  if (design === 'sampled') {
    for (const peer of asked) if (peer !== executor && bids.get(peer.id)?.accept === true) direct(requester, peer, request(MarketRequest.Kind.AWARD, { award }), tally)
  } else {
    await broadcast(peers, requester, { kind: GossipMessage.Kind.AWARD, award }, tally, () => {})
  }
  direct(requester, executor, request(MarketRequest.Kind.OFFER, { stage: spec, token: award.token }), tally)
  direct(executor, requester, request(MarketRequest.Kind.RESULT, { stage: spec, token: award.token, ok: true, output: { ...input, name: 'part.out', holders: [executor.id] } }), tally)
  // A no-op stage is done at once; the executor learns its run time, as it would.
  executor.history.record('noop', 5, input.size)
}

interface Row { design: Design, peers: number, jobs: number, messages: number, bytes: number, totalMs: number, requesterMs: number, executorMs: number, busiestMs: number }

async function measure (n: number, design: Design): Promise<Row> {
  const peers = await makePeers(n)
  const jobs = jobsAt(n)
  const tally: Tally = { messages: 0, bytes: 0 }
  // One job first, not counted: it warms the code paths (JIT), as a running node's are.
  await runJob(peers, design, 0, { messages: 0, bytes: 0 })
  for (const p of peers) p.cpuUs = 0
  for (let job = 1; job <= jobs; job++) await runJob(peers, design, job, tally)
  const executors = peers.slice(1).map(p => p.cpuUs)
  const ms = (us: number): number => us / 1000 / jobs
  return {
    design, peers: n, jobs, messages: tally.messages / jobs, bytes: tally.bytes / jobs,
    totalMs: ms(peers.reduce((sum, p) => sum + p.cpuUs, 0)), requesterMs: ms(peers[0].cpuUs),
    executorMs: ms(executors.reduce((a, b) => a + b, 0) / executors.length), busiestMs: ms(Math.max(...executors))
  }
}

const fixed = (x: number, digits = 2): string => x.toFixed(digits)
console.log(`load average ${(await import('node:os')).loadavg().map(l => l.toFixed(1)).join(' ')}; sample K = ${sample}`)
console.log('| design | peers | jobs | messages/job | bytes/job | CPU ms/job, all peers | requester | an executor (mean) | busiest executor |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const n of sizes) {
  for (const design of (values.designs as string).split(',') as Design[]) {
    const row = await measure(n, design)
    console.log(`| ${row.design} | ${row.peers} | ${row.jobs} | ${fixed(row.messages, 0)} | ${fixed(row.bytes, 0)} | ${fixed(row.totalMs)} | ${fixed(row.requesterMs)} | ${fixed(row.executorMs, 3)} | ${fixed(row.busiestMs, 3)} |`)
  }
}
