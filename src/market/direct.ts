import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { MarketRequest, MarketResponse } from '../../protocols/market.js'
import { decodeRequest, decodeResponse } from './codec.js'
import { DIRECT_TIMEOUT_MS, MARKET_PROTOCOL, MAX_MARKET_MESSAGE_BYTES } from './constants.js'
import type { MeshLibp2p } from '../node/libp2p.js'

const log = logger('meshnode:market:direct')

export type RequestHandler = (request: MarketRequest, from: string) => Promise<MarketResponse>

/**
 * One request, one response, over a fresh stream; messages to this node itself skip the network so a
 * requester can also be the executor of its own stages.
 */
export class DirectChannel {
  private readonly libp2p: MeshLibp2p
  private readonly handlers = new Map<MarketRequest.Kind, RequestHandler>()

  constructor (libp2p: MeshLibp2p) {
    this.libp2p = libp2p
  }

  on (kind: MarketRequest.Kind, handler: RequestHandler): void {
    this.handlers.set(kind, handler)
  }

  async start (): Promise<void> {
    await this.libp2p.handle(MARKET_PROTOCOL, async (stream, connection) => {
      const lp = lpStream(stream, { maxDataLength: MAX_MARKET_MESSAGE_BYTES })
      const signal = AbortSignal.timeout(DIRECT_TIMEOUT_MS)
      try {
        const request = decodeRequest((await lp.read({ signal })).subarray())
        const response = await this.dispatch(request, connection.remotePeer.toString())
        await lp.write(MarketResponse.encode(response), { signal })
        await stream.close({ signal })
      } catch (err: any) {
        log('a market request from %p failed %e', connection.remotePeer, err)
        stream.abort(err)
      }
    })
  }

  async stop (): Promise<void> {
    await this.libp2p.unhandle(MARKET_PROTOCOL)
  }

  async send (peerId: string, request: MarketRequest, signal = AbortSignal.timeout(DIRECT_TIMEOUT_MS)): Promise<MarketResponse> {
    if (peerId === this.libp2p.peerId.toString()) return this.dispatch(request, peerId)
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), MARKET_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_MARKET_MESSAGE_BYTES })
      await lp.write(MarketRequest.encode(request), { signal })
      const response = decodeResponse((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      return response
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  private async dispatch (request: MarketRequest, from: string): Promise<MarketResponse> {
    const handler = this.handlers.get(request.kind)
    if (handler == null) return { status: MarketResponse.Status.BAD_REQUEST, message: 'unknown request kind' }
    return handler(request, from)
  }
}
