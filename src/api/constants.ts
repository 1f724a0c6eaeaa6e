export const SOCKET_FILE = 'control.sock'
export const TOKEN_FILE = 'control.token'
/** One control message; job records and peer lists fit easily, files never travel this way. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024
