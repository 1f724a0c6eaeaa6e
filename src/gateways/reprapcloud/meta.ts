import { loadavg, uptime } from 'node:os'
import type { FlatRecord } from './relay-format.js'

export const RELAY_VERSION = 'RepRapCloud 0.019'

export interface MetaFacts {
  serverName: string
  services: string
  tasks: number
  maxDataRetentionHours: number
  timeoutSec: number
}

/** The relay's `service=meta`: the machine's 1-minute load and uptime, as it read them from /proc. */
export function metaRecord (facts: MetaFacts): FlatRecord {
  return {
    cpuLoad: loadavg()[0].toFixed(2),
    maxDataRetention: String(facts.maxDataRetentionHours),
    serverName: facts.serverName,
    services: facts.services,
    tasks: String(facts.tasks),
    timeout: String(facts.timeoutSec),
    uptime: prettyTime(uptime()),
    version: RELAY_VERSION
  }
}

/** `0d 06h 00m 52s`, days with thousands separated by commas, as the relay's prettyTime wrote it. */
export function prettyTime (seconds: number): string {
  const s = Math.floor(seconds)
  const two = (n: number): string => String(n).padStart(2, '0')
  const days = Math.floor(s / 86400).toLocaleString('en-US')
  return `${days}d ${two(Math.floor(s / 3600) % 24)}h ${two(Math.floor(s / 60) % 60)}m ${two(s % 60)}s`
}
