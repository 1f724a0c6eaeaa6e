import { ConfigError } from '../config/config-error.js'
import { expectObject, join, optInteger, optString, rejectUnknown } from '../config/fields.js'
import { MAX_POWER_LEASE_MS, MIN_POWER_LEASE_MS, POWER_GROUP } from './power-claim.js'

/**
 * The `power` section of a printer node's config: its printers share a circuit with the other printers of
 * `group`, and at most `maxHeating` of them heat up (their peak draw) at once.
 */
export interface PowerConfig {
  group: string
  maxHeating: number
  /** How long the others keep a claim of ours without hearing it again: a dead peer's slot frees after this. */
  leaseMs: number
  /** How often our claims are sent again; well inside the lease, so one lost message costs nothing. */
  renewMs: number
}

export const POWER_DEFAULTS = { leaseMs: 10_000, renewMs: 3000 }

export function parsePowerConfig (raw: unknown, field: string): PowerConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['group', 'maxHeating', 'leaseMs', 'renewMs'], field)
  const group = optString(obj, 'group', field, 63)
  if (group === undefined) throw new ConfigError(join(field, 'group'), 'is required: the name every printer node on the same circuit uses')
  if (!POWER_GROUP.test(group)) throw new ConfigError(join(field, 'group'), `"${group}" is not a name: use letters, digits, ".", "_" or "-"`)
  const maxHeating = optInteger(obj, 'maxHeating', field, 1, 1000)
  if (maxHeating === undefined) throw new ConfigError(join(field, 'maxHeating'), 'is required: how many printers of the group may heat up at once')
  const leaseMs = optInteger(obj, 'leaseMs', field, MIN_POWER_LEASE_MS, MAX_POWER_LEASE_MS) ?? POWER_DEFAULTS.leaseMs
  const renewMs = optInteger(obj, 'renewMs', field, 100, MAX_POWER_LEASE_MS) ?? Math.min(POWER_DEFAULTS.renewMs, Math.floor(leaseMs / 3))
  if (renewMs * 2 > leaseMs) throw new ConfigError(join(field, 'renewMs'), `must be at most half of leaseMs (${leaseMs}), so a claim survives one lost renewal`)
  return { group, maxHeating, leaseMs, renewMs }
}
