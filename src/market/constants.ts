export const JOBS_TOPIC = '/meshnode/jobs/1.0.0'
export const MARKET_PROTOCOL = '/meshnode/market/1.0.0'
/** A stage spec with its params and a renewal's log lines stay well under this. */
export const MAX_MARKET_MESSAGE_BYTES = 256 * 1024
export const DIRECT_TIMEOUT_MS = 5000
/** Log lines an executor sends with one renewal, and characters per line. */
export const MAX_LOG_LINES = 200
export const MAX_LOG_LINE_CHARS = 2000
/** Bidding rounds that may end with no usable bid before the stage fails. */
export const MAX_EMPTY_ROUNDS = 8
