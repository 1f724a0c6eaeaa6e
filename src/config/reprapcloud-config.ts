import { expectObject, join, optBoolean, optNumber, optString, rejectUnknown } from './fields.js'
import { checkListenAddress } from './listen-address.js'

/** The RepRapCloud gateway: where it listens (off unless given), who may use it, and the relay's two limits. */
export interface RepRapCloudConfig {
  /** HOST:PORT, e.g. 127.0.0.1:4468 (the relay's port); undefined turns the gateway off. */
  listen?: string
  /** On an address other machines can reach, serve relay clients that send no token (the relay had none). */
  open: boolean
  /** Ended tasks leave the list after this many hours (the relay's maxDataRetention, 24). */
  maxDataRetentionHours: number
  /** A submit reply is held at most this long for its task to end (the relay's timeout, 1800 s). */
  timeoutSec: number
}

export const RELAY_PORT = 4468

export function defaultRepRapCloudConfig (): RepRapCloudConfig {
  return { open: false, maxDataRetentionHours: 24, timeoutSec: 1800 }
}

export function parseRepRapCloudConfig (raw: unknown, field: string): RepRapCloudConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['listen', 'open', 'maxDataRetentionHours', 'timeoutSec'], field)
  const config = defaultRepRapCloudConfig()
  const listen = obj.listen === null ? undefined : optString(obj, 'listen', field, 64)
  if (listen !== undefined) config.listen = checkListenAddress(listen, join(field, 'listen'))
  config.open = optBoolean(obj, 'open', field) ?? config.open
  config.maxDataRetentionHours = optNumber(obj, 'maxDataRetentionHours', field, 0, 24 * 365) ?? config.maxDataRetentionHours
  config.timeoutSec = optNumber(obj, 'timeoutSec', field, 1, 7 * 24 * 3600) ?? config.timeoutSec
  return config
}
