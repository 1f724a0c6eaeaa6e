/** Every change of an entry, spread to every peer. */
export const LIBRARY_TOPIC = '/meshnode/library/1.0.0'
/** Anti-entropy: a peer that joins reads every entry the other holds, page by page. */
export const LIBRARY_SYNC_PROTOCOL = '/meshnode/library-sync/1.0.0'
/** A gossip message or a sync page carries entries up to this many bytes (one entry is at most MAX_ENTRY_BYTES). */
export const MAX_BATCH_BYTES = 1024 * 1024
/** A sync request is an entry id to read after. */
export const MAX_SYNC_REQUEST_BYTES = 256
export const SYNC_TIMEOUT_MS = 30_000
/** Pages one sync reads at most: 10,000 pages of one entry each is far more than a library holds. */
export const MAX_SYNC_PAGES = 10_000
/** Changes made within this long go out in one gossip message. */
export const GOSSIP_BATCH_MS = 50
