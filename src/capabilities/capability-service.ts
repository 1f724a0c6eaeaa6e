import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { CAPABILITY_PROTOCOL, CAPABILITY_TOPIC, FETCH_TIMEOUT_MS, MAX_RECORD_BYTES, RECONCILE_MS, RETRY_MS } from './constants.js'
import { openRecord, signRecord } from './signed-record.js'
import { decodePrinterState, PRINTER_STATE_TOPIC, withEvent } from '../printer/printer-state.js'
import type { CapabilityRecord, Printer, Tool } from '../../protocols/capability.js'
import type { PrinterStateEvent } from '../../protocols/printer-state.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { PeerId, PeerUpdate, PrivateKey, Stream } from '@libp2p/interface'

const log = logger('meshnode:capabilities')
/** Printers whose events are kept per peer: a record holds at most this many too. */
const MAX_PRINTERS_PER_PEER = 32

/** What this node can do right now; asked for whenever the record is rebuilt. */
export interface LocalCapabilities {
  offers: string[]
  tools: Tool[]
  printers: Printer[]
  queue: number
  load: number
}

export interface KnownPeer {
  peerId: string
  name: string
  addresses: string[]
  record: CapabilityRecord
  lastSeen: number
  rttMs?: number
}

export interface CapabilityServiceInit {
  name: string
  privateKey: PrivateKey
  describe(): Promise<LocalCapabilities>
}

/**
 * Keeps this node's signed capability record and a directory of the records of every connected peer.
 * Records are fetched over a direct stream when a peer connects and refreshed from gossip when they change;
 * a peer leaves the directory when its last connection closes.
 */
export class CapabilityService extends EventTarget {
  private readonly libp2p: MeshLibp2p
  private readonly init: CapabilityServiceInit
  private readonly known = new Map<string, KnownPeer>()
  private signed?: Uint8Array
  private record?: CapabilityRecord
  private seq = 0
  private readonly startedAt = Date.now()
  private readonly attempts = new Map<string, number>()
  /** The newest state event per connected peer and printer, laid over the snapshots in their records. */
  private readonly printerEvents = new Map<string, Map<string, PrinterStateEvent>>()
  private reconciler?: NodeJS.Timeout

  constructor (components: { libp2p: MeshLibp2p }, init: CapabilityServiceInit) {
    super()
    this.libp2p = components.libp2p
    this.init = init
  }

  async start (): Promise<void> {
    await this.refresh({ announce: false })
    await this.libp2p.handle(CAPABILITY_PROTOCOL, (stream) => { this.serve(stream).catch(err => log.error('serving record failed %e', err)) })
    this.libp2p.services.pubsub.subscribe(CAPABILITY_TOPIC)
    this.libp2p.services.pubsub.subscribe(PRINTER_STATE_TOPIC)
    this.libp2p.services.pubsub.addEventListener('message', this.onGossip)
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.libp2p.addEventListener('peer:update', this.onUpdate)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    this.reconciler = setInterval(() => { this.reconcile() }, RECONCILE_MS)
  }

  async stop (): Promise<void> {
    clearInterval(this.reconciler)
    this.libp2p.services.pubsub.removeEventListener('message', this.onGossip)
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.libp2p.removeEventListener('peer:update', this.onUpdate)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.libp2p.unhandle(CAPABILITY_PROTOCOL)
  }

  local (): CapabilityRecord {
    if (this.record == null) throw new Error('capability service not started')
    return this.record
  }

  peers (): KnownPeer[] {
    return [...this.known.values()].map(peer => ({ ...peer, rttMs: this.rtt(peer.peerId) }))
  }

  peer (peerId: string): KnownPeer | undefined {
    return this.known.get(peerId)
  }

  /** Rebuilds the record; when anything changed, signs it with a higher seq and announces it. */
  async refresh (options = { announce: true }): Promise<void> {
    const now = await this.init.describe()
    const next: CapabilityRecord = {
      peerId: this.libp2p.peerId.toString(),
      name: this.init.name,
      seq: this.seq,
      issuedAt: Date.now(),
      offers: now.offers,
      tools: now.tools,
      printers: now.printers,
      load: now.load,
      queue: now.queue,
      startedAt: this.startedAt
    }
    if (this.record != null && sameContent(this.record, next)) return
    next.seq = ++this.seq
    this.record = next
    this.signed = await signRecord(next, this.init.privateKey)
    this.dispatchEvent(new CustomEvent('capabilities:local', { detail: next }))
    if (options.announce) {
      await this.libp2p.services.pubsub.publish(CAPABILITY_TOPIC, this.signed).catch(err => log('announce failed %e', err))
    }
  }

  private async serve (stream: Stream): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_RECORD_BYTES })
    if (this.signed == null) await this.refresh({ announce: false })
    await lp.write(this.signed as Uint8Array, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
    await stream.close()
  }

  private async fetch (peerId: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS)
    const stream = await this.libp2p.dialProtocol(peerId, CAPABILITY_PROTOCOL, { signal })
    try {
      const bytes = await lpStream(stream, { maxDataLength: MAX_RECORD_BYTES }).read({ signal })
      this.accept(await openRecord(bytes.subarray(), peerId.toString()))
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  /**
   * Identify can time out on a loaded machine, and then no event says the peer speaks our protocol: every
   * connected peer without a record is asked again, at most once per retry interval.
   */
  private reconcile (): void {
    const now = Date.now()
    for (const connection of this.libp2p.getConnections()) {
      const id = connection.remotePeer.toString()
      if (this.known.has(id) || now - (this.attempts.get(id) ?? 0) < RETRY_MS) continue
      this.attempts.set(id, now)
      this.fetch(connection.remotePeer).catch(err => log('fetching the record of %p failed %e', connection.remotePeer, err))
    }
  }

  private accept (record: CapabilityRecord): void {
    const current = this.known.get(record.peerId)
    if (current != null && current.record.seq > record.seq && current.record.startedAt === record.startedAt) return
    const peerId = peerIdFromString(record.peerId)
    const addresses = this.libp2p.getConnections(peerId).map(c => c.remoteAddr.toString())
    const events = this.printerEvents.get(record.peerId)
    const merged = events == null ? record : { ...record, printers: record.printers.map(p => withEvent(p, events.get(p.name))) }
    const entry: KnownPeer = { peerId: record.peerId, name: record.name, addresses, record: merged, lastSeen: Date.now() }
    this.known.set(record.peerId, entry)
    this.dispatchEvent(new CustomEvent(current == null ? 'peer:joined' : 'peer:updated', { detail: entry }))
  }

  private rtt (peerId: string): number | undefined {
    const rtts = this.libp2p.getConnections(peerIdFromString(peerId)).map(c => c.rtt).filter((r): r is number => r != null)
    return rtts.length > 0 ? Math.min(...rtts) : undefined
  }

  private readonly onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
    if (!evt.detail.protocols.includes(CAPABILITY_PROTOCOL)) return
    this.fetch(evt.detail.peerId).catch(err => log('fetching the record of %p failed %e', evt.detail.peerId, err))
  }

  /**
   * A peer that was still starting when we connected registers our protocol a moment later and tells us by
   * identify push: fetch its record then.
   */
  private readonly onUpdate = (evt: CustomEvent<PeerUpdate>): void => {
    const { peer, previous } = evt.detail
    if (!peer.protocols.includes(CAPABILITY_PROTOCOL) || previous?.protocols.includes(CAPABILITY_PROTOCOL) === true) return
    if (this.known.has(peer.id.toString()) || this.libp2p.getConnections(peer.id).length === 0) return
    this.fetch(peer.id).catch(err => log('fetching the record of %p failed %e', peer.id, err))
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString()
    // Events may have come before the record, from a peer that left before it was fetched.
    this.printerEvents.delete(id)
    const gone = this.known.get(id)
    if (gone == null) return
    this.known.delete(id)
    this.attempts.delete(id)
    this.dispatchEvent(new CustomEvent('peer:left', { detail: gone }))
  }

  /**
   * A printer's state from its own node (gossipsub checked the author's signature): kept when newer than the
   * last event for that printer, and laid over the peer's record when newer than its snapshot.
   */
  private applyPrinterState (peerId: string, event: PrinterStateEvent): void {
    let events = this.printerEvents.get(peerId)
    if (events == null) this.printerEvents.set(peerId, events = new Map())
    const last = events.get(event.printer)
    if (last == null && events.size >= MAX_PRINTERS_PER_PEER) return
    if (last != null && last.seq >= event.seq) return
    events.set(event.printer, event)
    const peer = this.known.get(peerId)
    if (peer == null) return
    peer.record = { ...peer.record, printers: peer.record.printers.map(p => withEvent(p, event)) }
  }

  private readonly onGossip = (evt: CustomEvent<any>): void => {
    const msg = evt.detail
    if (msg.topic === PRINTER_STATE_TOPIC && msg.type === 'signed' && this.libp2p.getConnections(msg.from).length > 0) {
      try {
        this.applyPrinterState(msg.from.toString(), decodePrinterState(msg.data))
      } catch (err) {
        log('ignored a printer state from %p: %e', msg.from, err)
      }
      return
    }
    if (msg.topic !== CAPABILITY_TOPIC || msg.type !== 'signed') return
    const from = msg.from.toString()
    openRecord(msg.data, from)
      .then(record => {
        if (this.libp2p.getConnections(msg.from).length > 0) this.accept(record)
      })
      .catch(err => log('ignored a capability announcement from %s: %e', from, err))
  }
}

/**
 * Whether a new record is worth announcing. Load and queue length change with every stage; bids carry
 * them live, so they ride along with the next real change instead of flooding the mesh with signed records.
 * A printer snapshot's seq changes with every look; printer state events carry it live.
 */
function sameContent (a: CapabilityRecord, b: CapabilityRecord): boolean {
  const strip = (r: CapabilityRecord): string => JSON.stringify({ ...r, seq: 0, issuedAt: 0, load: 0, queue: 0, printers: r.printers.map(p => ({ ...p, stateSeq: 0 })) })
  return strip(a) === strip(b)
}
