export const PROTOCOL_PREFIX = 'meshnode'
export const PROTOCOL_NAME = 'blob'
export const PROTOCOL_VERSION = '1.0.0'
export const BLOB_PROTOCOL = `/${PROTOCOL_PREFIX}/${PROTOCOL_NAME}/${PROTOCOL_VERSION}`

/** A request is a hash and two integers; anything longer is hostile. */
export const MAX_REQUEST_BYTES = 256
/** A response header with a human-readable reason. */
export const MAX_RESPONSE_BYTES = 2048
export const MAX_MESSAGE_CHARS = 512

/** For the request and response headers, and for silence in the middle of a body. */
export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_UPLOADS = 16
export const DEFAULT_MAX_RETRIES = 5
export const DEFAULT_MAX_RESTARTS = 1
export const RETRY_BASE_DELAY_MS = 200
export const RETRY_MAX_DELAY_MS = 5_000

/**
 * Received bytes waiting for the disk. Above it the stream is paused and yamux stops granting window
 * (at most 16 MiB in flight), so a download holds at most about 22 MiB in memory with the writes in
 * flight. Kept small because a buffer that waits long gets promoted by V8 and costs a full garbage
 * collection to free: 2 MiB fetched 152 MiB/s where 4 MiB fetched 134 (median of 16 transfers each).
 */
export const RECEIVE_HIGH_WATER_BYTES = 2 * 1024 * 1024
export const RECEIVE_LOW_WATER_BYTES = 512 * 1024
export const RECEIVE_READ_BUFFER_BYTES = 24 * 1024 * 1024
/** Disk writes are batched to this size so small network frames do not each cost a syscall. */
export const DISK_WRITE_BYTES = 1024 * 1024
/**
 * Batches of a download written at once through the thread pool, each at its own offset, once the disk is
 * slower than the page cache (libuv runs four file operations at a time).
 */
export const WRITES_IN_FLIGHT = 4
/**
 * A download is flushed to disk in the background every so many bytes; otherwise the whole blob waits
 * in the page cache for the sync before it is published (about 0.1 s for 256 MiB here).
 */
export const FLUSH_BEHIND_BYTES = 16 * 1024 * 1024
