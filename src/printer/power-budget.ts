import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { decodePowerClaim, encodePowerClaim, PowerClaim, POWER_TOPIC } from './power-claim.js'
import type { PowerConfig } from './power-config.js'

const log = logger('meshnode:power')

/** The part of gossipsub the budget uses. */
export interface PowerGossip {
  subscribe: (topic: string) => void
  unsubscribe: (topic: string) => void
  publish: (topic: string, data: Uint8Array) => Promise<unknown>
  addEventListener: (type: 'message', listener: (evt: CustomEvent<any>) => void) => void
  removeEventListener: (type: 'message', listener: (evt: CustomEvent<any>) => void) => void
}

export interface PowerBudgetComponents {
  gossip: PowerGossip
  /** This node's peer id: with a printer's name it names a claim. */
  self: string
}

/** One printer's claim as the group sees it. */
export interface PowerSlot {
  peerId: string
  printer: string
  state: 'heating' | 'waiting'
  /** When it asked for a slot (ms since the epoch): the waiting go in this order. */
  wantedAt: number
  local: boolean
}

export interface PowerStatus {
  group: string
  maxHeating: number
  leaseMs: number
  /** Heating first, then the waiting in the order they will heat. */
  slots: PowerSlot[]
}

interface Claim {
  peerId: string
  printer: string
  kind: PowerClaim.Kind
  wantedAt: number
  seq: number
  /** Local clock: when the claim lapses unless heard again. Never for our own. */
  expires: number
}

/** Quiet waits end after this long anyway, so a claim that lapses is noticed without a message. */
const RECHECK_MS = 200
/** Printers of the group we keep track of; claims of more are ignored (a workshop has tens). */
const MAX_CLAIMS = 1024
/** Beyond one renewal: the time a claim of every other member needs to reach us. */
const SETTLE_MARGIN_MS = 250

/**
 * A counting semaphore among the printer peers of a power group, with no server: each printer that wants to
 * heat publishes a claim, and takes a slot when fewer than `maxHeating` claims are holding or waiting ahead of
 * it (ordered by when they asked, then by name, the same order on every peer). A claim is renewed while it
 * lives and lapses when it is not heard for its lease, so a peer that dies holding a slot frees it.
 *
 * A printer waits at least one renewal after it asks (and after the node starts) before it takes a slot: by
 * then it has heard every claim made before its own, the holders' included.
 */
export class PowerBudget extends EventEmitter<{ 'power:change': [] }> {
  private readonly gossip: PowerGossip
  private readonly self: string
  private readonly config: PowerConfig
  private readonly settleMs: number
  private readonly others = new Map<string, Claim>()
  private readonly mine = new Map<string, Claim>()
  private startedAt = Date.now()
  private seq = 0
  private timer?: NodeJS.Timeout

  constructor (components: PowerBudgetComponents, config: PowerConfig) {
    super()
    this.gossip = components.gossip
    this.self = components.self
    this.config = config
    this.settleMs = config.renewMs + SETTLE_MARGIN_MS
  }

  start (): void {
    this.startedAt = Date.now()
    this.gossip.subscribe(POWER_TOPIC)
    this.gossip.addEventListener('message', this.onMessage)
    this.timer = setInterval(() => { this.renew() }, this.config.renewMs)
  }

  /** Gives back our slots, so the others need not wait for the leases to lapse. */
  stop (): void {
    clearInterval(this.timer)
    for (const printer of [...this.mine.keys()]) this.release(printer)
    this.gossip.removeEventListener('message', this.onMessage)
    this.gossip.unsubscribe(POWER_TOPIC)
  }

  /** Resolves once `printer` holds a slot; on abort it leaves the line and rejects with the signal's reason. */
  async acquire (printer: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.mine.get(printer)?.kind === PowerClaim.Kind.HOLD) return
    if (!this.mine.has(printer)) this.claim(printer, PowerClaim.Kind.WANT, Date.now())
    try {
      for (;;) {
        signal.throwIfAborted()
        const me = this.mine.get(printer)
        if (me == null) throw new Error(`printer ${printer} left the power line`)
        if (this.mayHeat(me)) {
          this.claim(printer, PowerClaim.Kind.HOLD, me.wantedAt)
          log('%s heats (group %s)', printer, this.config.group)
          return
        }
        await this.change(signal)
      }
    } catch (err) {
      this.release(printer)
      throw err
    }
  }

  /** `printer` is done heating, or no longer wants to. */
  release (printer: string): void {
    const me = this.mine.get(printer)
    if (me == null) return
    this.mine.delete(printer)
    this.send({ ...me, kind: PowerClaim.Kind.RELEASE })
    this.emit('power:change')
  }

  waiting (printer: string): boolean {
    return this.mine.get(printer)?.kind === PowerClaim.Kind.WANT
  }

  status (): PowerStatus {
    this.expire()
    const slots = this.live().map(c => ({
      peerId: c.peerId,
      printer: c.printer,
      state: c.kind === PowerClaim.Kind.HOLD ? 'heating' as const : 'waiting' as const,
      wantedAt: c.wantedAt,
      local: c.peerId === this.self
    }))
    slots.sort((a, b) => a.state === b.state ? ticketOrder(a, b) : a.state === 'heating' ? -1 : 1)
    return { group: this.config.group, maxHeating: this.config.maxHeating, leaseMs: this.config.leaseMs, slots }
  }

  private mayHeat (me: Claim): boolean {
    if (Date.now() - Math.max(me.wantedAt, this.startedAt) < this.settleMs) return false
    this.expire()
    const ahead = this.live().filter(c => c !== me && (c.kind === PowerClaim.Kind.HOLD || ticketOrder(c, me) < 0))
    return ahead.length < this.config.maxHeating
  }

  private live (): Claim[] {
    return [...this.mine.values(), ...[...this.others.values()].filter(c => c.kind !== PowerClaim.Kind.RELEASE)]
  }

  private claim (printer: string, kind: PowerClaim.Kind, wantedAt: number): void {
    const claim: Claim = { peerId: this.self, printer, kind, wantedAt, seq: 0, expires: Infinity }
    this.mine.set(printer, claim)
    this.send(claim)
    this.emit('power:change')
  }

  private send (claim: Claim): void {
    this.seq = Math.max(this.seq + 1, Date.now())
    const message: PowerClaim = { group: this.config.group, printer: claim.printer, kind: claim.kind, wantedAt: claim.wantedAt, leaseMs: this.config.leaseMs, seq: this.seq }
    this.gossip.publish(POWER_TOPIC, encodePowerClaim(message)).catch(err => { log('publishing the power claim of %s failed %e', claim.printer, err) })
  }

  private renew (): void {
    for (const claim of this.mine.values()) this.send(claim)
    if (this.expire()) this.emit('power:change')
  }

  /** Drops the claims not heard for their lease; true when one was holding or waiting. */
  private expire (): boolean {
    const now = Date.now()
    let lapsed = false
    for (const [key, claim] of this.others) {
      if (claim.expires > now) continue
      this.others.delete(key)
      if (claim.kind !== PowerClaim.Kind.RELEASE) {
        log('the power claim of %s/%s lapsed', claim.peerId, claim.printer)
        lapsed = true
      }
    }
    return lapsed
  }

  private async change (signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.off('power:change', done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, RECHECK_MS)
      this.on('power:change', done)
      signal.addEventListener('abort', done)
    })
  }

  private readonly onMessage = (evt: CustomEvent<any>): void => {
    const msg = evt.detail
    if (msg.topic !== POWER_TOPIC || msg.type !== 'signed') return
    let claim: PowerClaim
    try {
      claim = decodePowerClaim(msg.data)
    } catch (err) {
      log('ignored a power claim from %p: %e', msg.from, err)
      return
    }
    if (claim.group !== this.config.group) return
    const peerId = msg.from.toString() as string
    if (peerId === this.self) return
    const key = `${peerId}/${claim.printer}`
    const known = this.others.get(key)
    if (known != null && known.seq >= claim.seq) return
    if (known == null && this.others.size >= MAX_CLAIMS) return
    this.others.set(key, { peerId, printer: claim.printer, kind: claim.kind, wantedAt: claim.wantedAt, seq: claim.seq, expires: Date.now() + claim.leaseMs })
    this.emit('power:change')
  }
}

/** Who asked first; the same answer on every peer, ties broken by peer and printer. */
function ticketOrder (a: Pick<Claim, 'wantedAt' | 'peerId' | 'printer'>, b: Pick<Claim, 'wantedAt' | 'peerId' | 'printer'>): number {
  if (a.wantedAt !== b.wantedAt) return a.wantedAt - b.wantedAt
  const ka = `${a.peerId}/${a.printer}`
  const kb = `${b.peerId}/${b.printer}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
