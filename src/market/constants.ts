/** 1.1.0: bids go to the requester over the market stream (MarketRequest BID), no longer on the topic. */
export const JOBS_TOPIC = '/meshnode/jobs/1.1.0'
export const MARKET_PROTOCOL = '/meshnode/market/2.0.0'
/** A stage spec with its params, a renewal's log lines, or the files inlined in an offer stay well under this. */
export const MAX_MARKET_MESSAGE_BYTES = 256 * 1024
/** Files up to this size travel inside an offer or a result instead of over the blob protocol. */
export const MAX_INLINE_BYTES = 64 * 1024
/** Files inlined in one message, and their bytes together. */
export const MAX_INLINE_FILES = 4
export const MAX_INLINE_TOTAL_BYTES = 128 * 1024
export const DIRECT_TIMEOUT_MS = 5000
/** Requests a peer may have in flight on one market stream; more wait their turn to be read. */
export const MAX_REQUESTS_IN_FLIGHT = 16
/** A kept market stream with nothing in flight for this long is closed by the side that opened it. */
export const MARKET_STREAM_IDLE_MS = 60_000
/** Log lines an executor sends with one renewal, and characters per line. */
export const MAX_LOG_LINES = 200
export const MAX_LOG_LINE_CHARS = 2000
/** Bidding rounds that may end with no usable bid before the stage fails. */
export const MAX_EMPTY_ROUNDS = 8
/**
 * What a run of a stage kind is taken to last on a node that has not run one yet, once its slots are taken: an
 * executor bids with it, and a requester weighs a bid's peer by it.
 */
export const UNKNOWN_RUN_MS = 2000
