import { logger } from '@libp2p/logger'
import { encodePrinterState, PRINTER_STATE_TOPIC, printerStateEvent } from './printer-state.js'
import type { Printer } from '../../protocols/capability.js'
import type { MeshLibp2p } from '../net/libp2p.js'

const log = logger('meshnode:printer-state')

export interface PrinterStatePublisherInit {
  /** This node's printers now, each snapshot stamped with a fresh seq. */
  snapshots: () => Printer[]
  /** How often the printers are looked at. */
  tickMs?: number
  /** Progress and temperatures go out at most this often per printer; state and job changes at once. */
  minIntervalMs?: number
  /** An unchanged printer is sent again after this long, so an event lost with a connection is repaired. */
  refreshMs?: number
}

/** Below these a change is noise: a reading that wobbles by a tenth of a degree is not news. */
const PROGRESS_STEP = 0.001
const TEMPERATURE_STEP_C = 0.5
/** Peers that subscribe together (a mesh forming) get one round of events. */
const WELCOME_DELAY_MS = 200

/**
 * Publishes this node's printers' state as events on the printer-state topic: other peers follow a print
 * within a second instead of waiting for the next capability record, which only changes with the state.
 */
export class PrinterStatePublisher {
  private readonly libp2p: MeshLibp2p
  private readonly snapshots: () => Printer[]
  private readonly tickMs: number
  private readonly minIntervalMs: number
  private readonly refreshMs: number
  private readonly sent = new Map<string, { printer: Printer, at: number }>()
  private timer?: NodeJS.Timeout
  private welcome?: NodeJS.Timeout

  constructor (libp2p: MeshLibp2p, init: PrinterStatePublisherInit) {
    this.libp2p = libp2p
    this.snapshots = init.snapshots
    this.tickMs = init.tickMs ?? 250
    this.minIntervalMs = init.minIntervalMs ?? 1000
    this.refreshMs = init.refreshMs ?? 15_000
  }

  start (): void {
    this.libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.timer = setInterval(() => { this.tick(false) }, this.tickMs)
    this.tick(true)
  }

  stop (): void {
    clearInterval(this.timer)
    clearTimeout(this.welcome)
    this.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }

  private tick (everything: boolean): void {
    const now = Date.now()
    for (const printer of this.snapshots()) {
      const last = this.sent.get(printer.name)
      if (!everything && last != null && !this.due(last, printer, now)) continue
      this.sent.set(printer.name, { printer, at: now })
      this.libp2p.services.pubsub.publish(PRINTER_STATE_TOPIC, encodePrinterState(printerStateEvent(printer)))
        .catch(err => { log('publishing the state of %s failed %e', printer.name, err) })
    }
  }

  private due (last: { printer: Printer, at: number }, now: Printer, at: number): boolean {
    const before = last.printer
    if (before.state !== now.state || before.currentJob !== now.currentJob) return true
    const waited = at - last.at
    if (waited >= this.refreshMs) return true
    if (waited < this.minIntervalMs) return false
    return Math.abs(before.progress - now.progress) >= PROGRESS_STEP ||
      Math.abs(before.hotendC - now.hotendC) >= TEMPERATURE_STEP_C ||
      Math.abs(before.bedC - now.bedC) >= TEMPERATURE_STEP_C
  }

  /** A peer that just subscribed has no state of ours yet; the capability record it fetched may be old. */
  private readonly onSubscriptionChange = (evt: CustomEvent<{ subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    if (!evt.detail.subscriptions.some(s => s.topic === PRINTER_STATE_TOPIC && s.subscribe)) return
    if (this.welcome != null || this.timer == null) return
    this.welcome = setTimeout(() => {
      this.welcome = undefined
      this.tick(true)
    }, WELCOME_DELAY_MS)
  }
}
