import { ConfigError } from './config-error.js'

/** How an admin public key is written in a node's `trust.admin`: `ed25519:` and the 32 raw bytes in base64url. */
export const ADMIN_KEY_PREFIX = 'ed25519:'
const RAW_KEY = /^[A-Za-z0-9_-]{43}$/

export function isAdminKey (entry: string): boolean {
  return entry.startsWith(ADMIN_KEY_PREFIX)
}

/** A trust.admin entry: an admin public key, checked here; any other entry is a peer name or id, as before. */
export function checkAdminEntry (entry: string, field: string): string {
  if (isAdminKey(entry) && !RAW_KEY.test(entry.slice(ADMIN_KEY_PREFIX.length))) {
    throw new ConfigError(field, `"${entry.slice(0, 80)}" is not an admin public key: "${ADMIN_KEY_PREFIX}" and 43 base64url characters, as "meshnode admin keygen" prints`)
  }
  return entry
}
