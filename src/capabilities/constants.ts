export const CAPABILITY_PROTOCOL = '/meshnode/capability/1.0.0'
export const CAPABILITY_TOPIC = '/meshnode/capabilities/1.0.0'
/** A signed record is a few KiB at most; anything larger is refused before it is decoded. */
export const MAX_RECORD_BYTES = 64 * 1024
export const FETCH_TIMEOUT_MS = 5000
/** How often connected peers without a record are looked at, and how long before one is asked again. */
export const RECONCILE_MS = 1000
export const RETRY_MS = 3000
