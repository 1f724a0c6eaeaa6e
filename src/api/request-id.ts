import { randomUUID } from 'node:crypto'

/**
 * A submit's request id: chosen by the caller, sent again with a retry, so the daemon can answer a retry with
 * the jobs the first attempt stored. Long enough that two callers' ids never meet by chance, and in a charset
 * that is safe in a LevelDB key, a log line and a URL.
 */
const REQUEST_ID = /^[A-Za-z0-9_-]{16,128}$/

export class BadRequestIdError extends Error {
  constructor () {
    super('requestId must be 16 to 128 characters of A-Z, a-z, 0-9, "-" and "_" (a UUID will do)')
    this.name = 'BadRequestIdError'
  }
}

/** The request id of a call, if it has one; anything but a well-formed id is refused. */
export function checkRequestId (value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !REQUEST_ID.test(value)) throw new BadRequestIdError()
  return value
}

export function newRequestId (): string {
  return randomUUID()
}
