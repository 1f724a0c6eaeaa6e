import { logger } from '@libp2p/logger'
import { Beat, encodeFrame, FrameReader } from './heartbeat-frame.js'
import type { Connection, Libp2pEvents, Startable, Stream, StreamHandler, StreamHandlerOptions, TypedEventTarget } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const log = logger('meshnode:heartbeat')

export const HEARTBEAT_PROTOCOL = '/meshnode/heartbeat/1.0.0'
const INTERVAL_MS = 2000
// A peer unheard for this long is gone: a cut link leaves the peer list within about 8 s (the issue allows
// 10), and a peer whose CPU is busy rendering still gets 7 s to answer.
const SILENCE_MS = 7000
const CHECK_MS = 500
// However fast a peer pings, it gets at most one answer per this long.
const MIN_ANSWER_GAP_MS = 250

/** The parts of libp2p the service uses (libp2p passes it all its components). */
export interface HeartbeatComponents {
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
  connectionManager: { getConnections(): Connection[] }
  events: TypedEventTarget<Libp2pEvents>
}

interface Link {
  connection: Connection
  lastHeard: number
  /** Our own stream, on which we ping and the peer answers. */
  stream?: Stream
  opening: boolean
  seq: number
  sentAt: number
  lastAnswer: number
}

/**
 * A libp2p service that keeps watch over every connection: each side pings the other every 2 s on a stream
 * it keeps open, and a connection on which nothing was heard for 7 s is closed, so the peer leaves the mesh.
 * libp2p's own connection monitor opens a fresh stream for every ping, which costs ten times the CPU: for a
 * peer in a mesh of twenty, that was a few percent of a core while idle. The round trip of the last ping is
 * the connection's `rtt`, as `meshnode peers` shows it.
 */
export class Heartbeat implements Startable {
  readonly [Symbol.toStringTag] = 'meshnode:heartbeat'
  private readonly components: HeartbeatComponents
  private readonly links = new Map<string, Link>()
  private timer?: NodeJS.Timeout

  constructor (components: HeartbeatComponents) {
    this.components = components
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(HEARTBEAT_PROTOCOL, (stream, connection) => { this.answer(stream, connection) }, { maxInboundStreams: 2 })
    this.components.events.addEventListener('connection:open', this.onOpen)
    this.components.events.addEventListener('connection:close', this.onClose)
    for (const connection of this.components.connectionManager.getConnections()) this.watch(connection)
    this.timer = setInterval(() => { this.tick() }, CHECK_MS)
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.components.events.removeEventListener('connection:open', this.onOpen)
    this.components.events.removeEventListener('connection:close', this.onClose)
    for (const link of this.links.values()) link.stream?.abort(new Error('node stopping'))
    this.links.clear()
    await this.components.registrar.unhandle(HEARTBEAT_PROTOCOL)
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => { this.watch(evt.detail) }

  private readonly onClose = (evt: CustomEvent<Connection>): void => { this.links.delete(evt.detail.id) }

  private watch (connection: Connection): Link {
    let link = this.links.get(connection.id)
    if (link == null) {
      link = { connection, lastHeard: Date.now(), opening: false, seq: 0, sentAt: 0, lastAnswer: 0 }
      this.links.set(connection.id, link)
    }
    return link
  }

  private tick (): void {
    const now = Date.now()
    for (const link of this.links.values()) {
      if (link.connection.status !== 'open') {
        this.links.delete(link.connection.id)
      } else if (now - link.lastHeard > SILENCE_MS) {
        this.links.delete(link.connection.id)
        log('nothing heard from %p for %d ms: closing the connection', link.connection.remotePeer, now - link.lastHeard)
        link.connection.abort(new Error(`no heartbeat from the peer for ${SILENCE_MS / 1000} s`))
      } else if (now - link.sentAt >= INTERVAL_MS) {
        this.ping(link)
      }
    }
  }

  private ping (link: Link): void {
    if (link.stream == null) {
      this.open(link)
      return
    }
    link.seq = (link.seq + 1) >>> 0
    link.sentAt = Date.now()
    link.stream.send(encodeFrame({ kind: Beat.PING, seq: link.seq }))
  }

  /** Opens our ping stream; a peer that does not speak heartbeat (not a meshnode peer) is left unwatched. */
  private open (link: Link): void {
    if (link.opening) return
    link.opening = true
    link.sentAt = Date.now()
    link.connection.newStream(HEARTBEAT_PROTOCOL, { signal: AbortSignal.timeout(SILENCE_MS) })
      .then(stream => {
        if (this.links.get(link.connection.id) !== link) {
          stream.abort(new Error('connection no longer watched'))
          return
        }
        link.stream = stream
        this.read(stream, link, (kind, seq) => {
          if (kind === Beat.PONG && seq === link.seq) link.connection.rtt = Date.now() - link.sentAt
        })
        stream.addEventListener('close', () => { if (link.stream === stream) link.stream = undefined })
        this.ping(link)
      })
      .catch(err => {
        if (err.name === 'UnsupportedProtocolError') this.links.delete(link.connection.id)
        log('opening a heartbeat stream to %p failed %e', link.connection.remotePeer, err)
      })
      .finally(() => { link.opening = false })
  }

  /** The peer's ping stream: every ping is answered, up to one answer per MIN_ANSWER_GAP_MS. */
  private answer (stream: Stream, connection: Connection): void {
    const link = this.watch(connection)
    this.read(stream, link, (kind, seq) => {
      const now = Date.now()
      if (kind !== Beat.PING || now - link.lastAnswer < MIN_ANSWER_GAP_MS) return
      link.lastAnswer = now
      stream.send(encodeFrame({ kind: Beat.PONG, seq }))
    })
  }

  /** Anything heard on either stream counts as a sign of life; a stream speaking something else is reset. */
  private read (stream: Stream, link: Link, onFrame: (kind: Beat, seq: number) => void): void {
    const reader = new FrameReader()
    stream.addEventListener('message', (evt: { data: Uint8Array | Uint8ArrayList }) => {
      try {
        const frames = reader.push(evt.data.subarray())
        if (frames.length > 0) link.lastHeard = Date.now()
        for (const frame of frames) onFrame(frame.kind, frame.seq)
      } catch (err: any) {
        log('%p sent a bad heartbeat: %s', link.connection.remotePeer, err.message)
        stream.abort(err)
      }
    })
  }
}

export function heartbeat (): (components: HeartbeatComponents) => Heartbeat {
  return (components) => new Heartbeat(components)
}
