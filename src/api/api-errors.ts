/** A call's parameters are wrong; `field` names the first bad one (a JSON pointer without the slash, dotted). */
export class BadRequestError extends Error {
  readonly field?: string

  constructor (message: string, field?: string) {
    super(message)
    this.name = 'BadRequestError'
    this.field = field
  }
}

/** No credentials, or credentials that match no token. */
export class UnauthorizedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnauthorizedError'
  }
}

/** The caller is known but its scope does not allow the method (or the job is someone else's). */
export class ForbiddenError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ForbiddenError'
  }
}

export class UnknownMethodError extends Error {
  constructor (method: string) {
    super(`unknown control method "${method}"`)
    this.name = 'UnknownMethodError'
  }
}
