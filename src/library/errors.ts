export class EntryNotFoundError extends Error {
  constructor (id: string) {
    super(`no library entry ${id} (see "meshnode library ls")`)
    this.name = 'EntryNotFoundError'
  }
}

/** A field of a library edit that cannot be stored; the message names it. */
export class BadEntryFieldError extends Error {
  readonly field: string

  constructor (field: string, message: string) {
    super(`${field}: ${message}`)
    this.name = 'BadEntryFieldError'
    this.field = field
  }
}

/** No peer that keeps a blob of the entry can be reached now. */
export class BlobUnavailableError extends Error {
  constructor (file: string, hash: string) {
    super(`${file} (${hash.slice(0, 12)}) is on no peer that can be reached now`)
    this.name = 'BlobUnavailableError'
  }
}
