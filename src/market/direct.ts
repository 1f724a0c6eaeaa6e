import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { decodeRequest, decodeResponse } from './codec.js'
import { DIRECT_TIMEOUT_MS, MARKET_PROTOCOL, MARKET_STREAM_IDLE_MS, MAX_MARKET_MESSAGE_BYTES, MAX_REQUESTS_IN_FLIGHT } from './constants.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { Stream } from '@libp2p/interface'

const log = logger('meshnode:market:direct')

/** A request as its sender writes it; the channel numbers it. */
export type Request = Omit<MarketRequest, 'id'>
/** An answer as a handler gives it; the channel adds the request's id. */
export type Answer = Omit<MarketResponse, 'id'>
export type RequestHandler = (request: MarketRequest, from: string) => Promise<Answer>

/** The peer took the request but could not handle it. */
export class PeerFailedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PeerFailedError'
  }
}

/** Our kept stream to one peer, with the requests waiting for their answers on it. */
interface Link {
  stream: Stream
  lp: ReturnType<typeof lpStream>
  pending: Map<number, PromiseWithResolvers<MarketResponse>>
  nextId: number
  idle?: NodeJS.Timeout
}

/** A link being opened, or open. */
interface LinkEntry {
  opening: Promise<Link>
  link?: Link
}

/**
 * Requests and answers between peers. Each peer keeps one stream open to every peer it sends to and puts all
 * its requests on it, numbered, so a request costs one message each way: a fresh libp2p stream per request
 * costs a stream negotiation and a peer-store write on both ends, which was most of an award's 16 ms.
 * Messages to this node itself skip the network, so a requester can also be the executor of its own stages.
 */
export class DirectChannel {
  private readonly libp2p: MeshLibp2p
  private readonly handlers = new Map<MarketRequest.Kind, RequestHandler>()
  private readonly links = new Map<string, LinkEntry>()
  private stopped = false

  constructor (libp2p: MeshLibp2p) {
    this.libp2p = libp2p
  }

  on (kind: MarketRequest.Kind, handler: RequestHandler): void {
    this.handlers.set(kind, handler)
  }

  async start (): Promise<void> {
    this.stopped = false
    await this.libp2p.handle(MARKET_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection.remotePeer.toString()).catch(err => {
        log('the market stream from %p failed %e', connection.remotePeer, err)
        stream.abort(err)
      })
    }, { maxInboundStreams: 4 })
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.libp2p.unhandle(MARKET_PROTOCOL)
    for (const [peerId, entry] of this.links) {
      entry.opening.then(link => { this.drop(peerId, link, new Error('node stopping')) }, () => {})
    }
  }

  /** Sends `request` and waits for its answer; an error when the peer cannot be reached or failed to handle it. */
  async send (peerId: string, request: Request, signal = AbortSignal.timeout(DIRECT_TIMEOUT_MS)): Promise<MarketResponse> {
    if (peerId === this.libp2p.peerId.toString()) return { ...await this.dispatch({ ...request, id: 0 }, peerId), id: 0 }
    const link = await this.link(peerId, signal)
    const id = link.nextId
    link.nextId = (link.nextId + 1) >>> 0
    const answer = Promise.withResolvers<MarketResponse>()
    // It may be rejected (link broken, timeout) while the request is still being written.
    answer.promise.catch(() => {})
    link.pending.set(id, answer)
    clearTimeout(link.idle)
    const onAbort = (): void => { answer.reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      signal.throwIfAborted()
      await link.lp.write(MarketRequest.encode({ ...request, id }), { signal })
      const response = await answer.promise
      if (response.status === MarketResponse.Status.FAILED) throw new PeerFailedError(response.message)
      return response
    } finally {
      signal.removeEventListener('abort', onAbort)
      link.pending.delete(id)
      if (link.pending.size === 0) this.closeWhenIdle(peerId, link)
    }
  }

  /** The kept stream to `peerId`, opened on first use; concurrent first requests share one opening. */
  private async link (peerId: string, signal: AbortSignal): Promise<Link> {
    const known = this.links.get(peerId)
    if (known != null) return known.link ?? known.opening
    if (this.stopped) throw new Error('node stopping')
    const entry: LinkEntry = { opening: this.open(peerId, signal) }
    this.links.set(peerId, entry)
    try {
      entry.link = await entry.opening
      return entry.link
    } catch (err) {
      if (this.links.get(peerId) === entry) this.links.delete(peerId)
      throw err
    }
  }

  private async open (peerId: string, signal: AbortSignal): Promise<Link> {
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), MARKET_PROTOCOL, { signal })
    const link: Link = { stream, lp: lpStream(stream, { maxDataLength: MAX_MARKET_MESSAGE_BYTES }), pending: new Map(), nextId: 1 }
    this.readAnswers(link).catch(err => { this.drop(peerId, link, err) })
    return link
  }

  private async readAnswers (link: Link): Promise<void> {
    for (;;) {
      const response = decodeResponse((await link.lp.read()).subarray())
      link.pending.get(response.id)?.resolve(response)
    }
  }

  /** Closes a link nobody has used for a while; the next request opens a new one. */
  private closeWhenIdle (peerId: string, link: Link): void {
    clearTimeout(link.idle)
    link.idle = setTimeout(() => {
      if (link.pending.size > 0) return
      this.forget(peerId, link)
      link.stream.close().catch(err => { link.stream.abort(err) })
    }, MARKET_STREAM_IDLE_MS)
    link.idle.unref()
  }

  private forget (peerId: string, link: Link): void {
    clearTimeout(link.idle)
    if (this.links.get(peerId)?.link === link) this.links.delete(peerId)
  }

  /** A link that broke: its requests fail with the reason, and the next request opens a new one. */
  private drop (peerId: string, link: Link, err: Error): void {
    this.forget(peerId, link)
    if (link.stream.status === 'open') link.stream.abort(err)
    const gone = new Error(`the market stream to ${peerId} ended: ${err.message}`)
    for (const answer of link.pending.values()) answer.reject(gone)
  }

  /**
   * A peer's kept stream: its requests are handled concurrently, up to MAX_REQUESTS_IN_FLIGHT, and each answer
   * goes back with the request's id. A frame that is not a valid request ends the stream.
   */
  private async serve (stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_MARKET_MESSAGE_BYTES })
    const inFlight = new Set<Promise<void>>()
    for (;;) {
      if (inFlight.size >= MAX_REQUESTS_IN_FLIGHT) await Promise.race(inFlight)
      // The sender closing its end shows as an unexpected end of a frame; there is no one to answer then.
      const frame = await lp.read().catch(err => {
        if (err.name === 'UnexpectedEOFError') return undefined
        throw err
      })
      if (frame == null) break
      const request = decodeRequest(frame.subarray())
      const handled = this.answer(request, from)
        .then(async answer => { await lp.write(MarketResponse.encode({ ...answer, id: request.id }), { signal: AbortSignal.timeout(DIRECT_TIMEOUT_MS) }) })
        .catch(err => { log('answering %p failed %e', from, err); stream.abort(err) })
        .finally(() => { inFlight.delete(handled) })
      inFlight.add(handled)
    }
    await Promise.all(inFlight)
    if (stream.status === 'open') await stream.close()
  }

  private async answer (request: MarketRequest, from: string): Promise<Answer> {
    try {
      return await this.dispatch(request, from)
    } catch (err: any) {
      log('a market request from %s failed %e', from, err)
      return { status: MarketResponse.Status.FAILED, message: err.message ?? String(err) }
    }
  }

  private async dispatch (request: MarketRequest, from: string): Promise<Answer> {
    const handler = this.handlers.get(request.kind)
    if (handler == null) return { status: MarketResponse.Status.BAD_REQUEST, message: 'unknown request kind' }
    return handler(request, from)
  }
}
