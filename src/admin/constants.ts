export const ADMIN_TOPIC = '/meshnode/admin/1.0.0'
export const ADMIN_STATUS_TOPIC = '/meshnode/admin-status/1.0.0'
/** The room's gossip topics, scored from the node's start; the room hands the guard their rules when it starts. */
export const ADMIN_TOPICS = [ADMIN_TOPIC, ADMIN_STATUS_TOPIC]
/**
 * Documents a second one peer may forward on the admin topic, and in a burst: an admin's push is a few documents,
 * and a lost one is found again by the next sync.
 */
export const ADMIN_GOSSIP_RATE = { perSecond: 10, burst: 100 }
export const ADMIN_SYNC_PROTOCOL = '/meshnode/admin-sync/1.0.0'
/** A summary of every held document's key and revision. */
export const MAX_SUMMARY_BYTES = 256 * 1024
export const SYNC_TIMEOUT_MS = 10_000
/** How often a node repeats its report; a peer silent for three of these is shown as not heard from. */
export const REPORT_INTERVAL_MS = 5000
export const MAX_REPORT_BYTES = 8 * 1024
/** How often a node also syncs with one peer picked at random: a gossip message lost on the way is found again. */
export const RESYNC_INTERVAL_MS = 15_000
export const ADMIN_RUN_PROTOCOL = '/meshnode/admin-run/1.0.0'
/** How long a node waits for the document after a run stream opens. */
export const RUN_ACCEPT_TIMEOUT_MS = 10_000
/** Output lines one run sends back; the command runs on, its further output is dropped. */
export const MAX_OUTPUT_LINES = 10_000
export const MAX_RUN_FRAME_BYTES = 72 * 1024
/** The longest a caller waits for a command's end: the longest timeout a command may declare, and some. */
export const MAX_RUN_WAIT_MS = 24 * 3600_000 + 60_000
