export const ADMIN_TOPIC = '/meshnode/admin/1.0.0'
export const ADMIN_STATUS_TOPIC = '/meshnode/admin-status/1.0.0'
export const ADMIN_SYNC_PROTOCOL = '/meshnode/admin-sync/1.0.0'
/** A summary of every held document's key and revision. */
export const MAX_SUMMARY_BYTES = 256 * 1024
export const SYNC_TIMEOUT_MS = 10_000
/** How often a node repeats its report; a peer silent for three of these is shown as not heard from. */
export const REPORT_INTERVAL_MS = 5000
export const MAX_REPORT_BYTES = 8 * 1024
/** How often a node also syncs with one peer picked at random: a gossip message lost on the way is found again. */
export const RESYNC_INTERVAL_MS = 15_000
