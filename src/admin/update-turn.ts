import { targets } from './admin-document.js'
import type { AdminTarget } from '../../protocols/admin.js'
import type { FleetEntry } from './fleet-reports.js'

/** A node's place in a rollout, as its report says it. */
export type UpdateState = 'fetching' | 'waiting' | 'waiting-for-print' | 'restarting' | 'trying' | 'updated' | 'rolled-back' | 'halted' | 'failed'
/** Down or not yet confirmed: what the rollout counts against its parallel limit. */
export const MID_UPDATE: readonly string[] = ['restarting', 'trying']
/** The rollout stops at the first of these anywhere: a package that failed one node is not tried on more. */
export const STOPS_ROLLOUT: readonly string[] = ['rolled-back', 'failed']

export interface Rollout { revision: number, target: AdminTarget, parallel: number }

/**
 * Silent this long, a waiting node is out of the rollout's view (it left the mesh); one that was mid-update stops
 * the rollout: a restart takes seconds, and a node that never came back is a failure to look at.
 */
export const SILENT_AFTER_MS = 3 * 60_000

export type Turn = { go: true } | { go: false, why: string } | { halt: string }

/**
 * Whether this node updates now, from the fleet's reports alone (no coordinator): fewer than `parallel` targets
 * are mid-update, and this node is among the first waiting ones by peer id, as many as there are free places.
 * Every node reads the same reports and the same order, so they agree on who goes next.
 */
export function turnOf (rollout: Rollout, fleet: readonly FleetEntry[], now = Date.now()): Turn {
  const silent = (e: FleetEntry): boolean => !e.self && now - e.heardAt >= SILENT_AFTER_MS
  const all = fleet.filter(e => targets(rollout.target, e) && e.updateRevision === rollout.revision)
  const lost = all.find(e => MID_UPDATE.includes(e.updateState) && silent(e))
  if (lost != null) return { halt: `${lost.name} has not been heard from since its update began (${lost.updateState})` }
  const inRollout = all.filter(e => !silent(e))
  const stopped = inRollout.find(e => STOPS_ROLLOUT.includes(e.updateState))
  if (stopped != null) return { halt: `${stopped.name} ${stopped.updateState === 'failed' ? 'could not install it' : 'rolled back'}: ${stopped.updateReason}` }
  const mid = inRollout.filter(e => MID_UPDATE.includes(e.updateState))
  const free = rollout.parallel - mid.length
  if (free <= 0) return { go: false, why: `${mid.map(e => e.name).join(', ')} updating (${rollout.parallel} at a time)` }
  const next = inRollout.filter(e => e.updateState === 'waiting').sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0).slice(0, free)
  if (next.some(e => e.self)) return { go: true }
  return { go: false, why: `${next.map(e => e.name).join(', ')} first` }
}
