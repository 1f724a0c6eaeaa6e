/** A string that is not a sha256 in lowercase hex; it never reaches the file system. */
export class InvalidBlobHashError extends Error {
  constructor (message = 'not a sha256 hash in lowercase hex') {
    super(message)
    this.name = 'InvalidBlobHashError'
  }
}

export class BlobNotFoundError extends Error {
  constructor (message = 'blob not found') {
    super(message)
    this.name = 'BlobNotFoundError'
  }
}

/** Refused before a byte was written, whenever the size is known up front. */
export class BlobTooLargeError extends Error {
  constructor (message = 'blob too large') {
    super(message)
    this.name = 'BlobTooLargeError'
  }
}

export class BlobHashMismatchError extends Error {
  constructor (message = 'content does not match its hash') {
    super(message)
    this.name = 'BlobHashMismatchError'
  }
}

export class BlobSizeMismatchError extends Error {
  constructor (message = 'content does not have the expected size') {
    super(message)
    this.name = 'BlobSizeMismatchError'
  }
}

/** The disk filled up (ENOSPC/EDQUOT); whatever was half-written has been removed. */
export class BlobStoreFullError extends Error {
  constructor (message = 'no space left for the blob store') {
    super(message)
    this.name = 'BlobStoreFullError'
  }
}

/** Another download into the same partial file is running in this process. */
export class BlobBusyError extends Error {
  constructor (message = 'blob is already being downloaded') {
    super(message)
    this.name = 'BlobBusyError'
  }
}

/** Bytes from the network that are not a well-formed blob protocol message. */
export class BlobProtocolError extends Error {
  constructor (message = 'malformed blob protocol message') {
    super(message)
    this.name = 'BlobProtocolError'
  }
}

/** The serving peer answered BAD_REQUEST, BUSY or INTERNAL_ERROR. */
export class BlobRequestRefusedError extends Error {
  readonly status: string
  constructor (status: string, message: string) {
    super(`peer refused the blob request (${status}): ${message}`)
    this.name = 'BlobRequestRefusedError'
    this.status = status
  }
}

/** Every retry failed; `cause` holds the last failure. */
export class BlobFetchFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BlobFetchFailedError'
  }
}
