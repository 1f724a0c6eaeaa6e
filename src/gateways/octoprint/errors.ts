import { errorAnswer } from '../../api/http/http-errors.js'

/** OctoPrint's error body: its API answers every failure as `{ "error": "what went wrong" }`. */
export interface OctoPrintErrorBody {
  error: string
}

/** The upload is neither G-code nor a model the mesh slices. */
export class UnsupportedFileTypeError extends Error {
  readonly statusCode = 415

  constructor (name: string, accepted: readonly string[]) {
    super(`${name.slice(0, 80)} is neither G-code nor a model to slice: the gateway takes ${accepted.join(', ')}`)
    this.name = 'UnsupportedFileTypeError'
  }
}

/** OctoPrint's 409: the printer a key prints on is not there, or the mesh has none that can print now. */
export class PrinterNotOperationalError extends Error {
  readonly statusCode = 409

  constructor (message: string) {
    super(message)
    this.name = 'PrinterNotOperationalError'
  }
}

export class FileNotFoundError extends Error {
  readonly statusCode = 404

  constructor (name: string) {
    super(`no file ${name.slice(0, 80)} on local`)
    this.name = 'FileNotFoundError'
  }
}

/** The status of any error a route threw, as the node's HTTP API gives it, with OctoPrint's body. */
export function octoPrintError (err: unknown): { status: number, body: OctoPrintErrorBody } {
  const { status, body } = errorAnswer(err)
  return { status, body: { error: body.message } }
}
