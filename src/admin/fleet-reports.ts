import { logger } from '@libp2p/logger'
import { AdminReport } from '../../protocols/admin.js'
import { ADMIN_STATUS_TOPIC, MAX_REPORT_BYTES, REPORT_INTERVAL_MS } from './constants.js'
import type { TopicRule } from '../net/gossip-guard.js'
import type { MeshLibp2p } from '../net/libp2p.js'

const log = logger('meshnode:admin-status')
/** Peers whose reports are kept; a larger fleet keeps the most recently heard. */
const MAX_PEERS = 1024

/** What the gossip guard lets through on the admin status topic. */
export const ADMIN_STATUS_TOPIC_RULE: TopicRule = {
  topic: ADMIN_STATUS_TOPIC,
  maxBytes: MAX_REPORT_BYTES,
  check: (data) => { decodeReport(data) }
}

function decodeReport (bytes: Uint8Array): AdminReport {
  if (bytes.byteLength > MAX_REPORT_BYTES) throw new Error(`a report of ${bytes.byteLength} bytes is over the limit`)
  return AdminReport.decode(bytes, { limits: { tags: 64, services: 64, serviceOutcomes: 16 } })
}

export interface FleetEntry extends AdminReport {
  peerId: string
  /** When this node last heard the report (its own: now). */
  heardAt: number
  self: boolean
}

/**
 * Each node's admin state (version, config revision or rejection, drained, pending documents), published on a
 * gossip topic when it changes and every few seconds as a heartbeat, and collected from every peer: the fleet
 * view `meshnode admin status` shows from any node.
 */
export class FleetReports {
  private readonly libp2p: MeshLibp2p
  private readonly describe: () => AdminReport
  private readonly heard = new Map<string, FleetEntry>()
  private timer?: NodeJS.Timeout

  constructor (libp2p: MeshLibp2p, describe: () => Omit<AdminReport, 'sentAt'>) {
    this.libp2p = libp2p
    this.describe = () => ({ ...describe(), sentAt: Date.now() })
  }

  start (): void {
    this.libp2p.services.pubsub.subscribe(ADMIN_STATUS_TOPIC)
    this.libp2p.services.pubsub.addEventListener('message', this.onGossip)
    this.timer = setInterval(() => { this.publish() }, REPORT_INTERVAL_MS)
    this.publish()
  }

  stop (): void {
    clearInterval(this.timer)
    this.libp2p.services.pubsub.removeEventListener('message', this.onGossip)
  }

  /** Tells the mesh now (after a change), not at the next heartbeat. */
  publish (): void {
    this.libp2p.services.pubsub.publish(ADMIN_STATUS_TOPIC, AdminReport.encode(this.describe())).catch(err => { log('publishing the report failed %e', err) })
  }

  /** This node first, then every peer heard from, by name. */
  fleet (): FleetEntry[] {
    const self: FleetEntry = { ...this.describe(), peerId: this.libp2p.peerId.toString(), heardAt: Date.now(), self: true }
    return [self, ...[...this.heard.values()].sort((a, b) => a.name.localeCompare(b.name))]
  }

  private readonly onGossip = (evt: CustomEvent<any>): void => {
    const msg = evt.detail
    if (msg.topic !== ADMIN_STATUS_TOPIC || msg.type !== 'signed') return
    let report: AdminReport
    try {
      report = decodeReport(msg.data)
    } catch (err: any) {
      log('a malformed report from %p: %s', msg.from, err.message)
      return
    }
    const peerId = msg.from.toString()
    this.heard.delete(peerId)
    this.heard.set(peerId, { ...report, name: report.name.slice(0, 63), peerId, heardAt: Date.now(), self: false })
    if (this.heard.size > MAX_PEERS) this.heard.delete(this.heard.keys().next().value as string)
  }
}
