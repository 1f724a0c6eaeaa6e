/** The JSON body of every error answer. */
export interface ErrorBody {
  error: string
  message: string
  field?: string
}

const STATUS_BY_NAME: Record<string, number> = {
  BadRequestError: 400,
  UnknownStageError: 400,
  BadPipelineError: 400,
  UnknownInputTypeError: 400,
  UnsafeFileNameError: 400,
  InvalidBlobHashError: 400,
  BadRequestIdError: 400,
  UnauthorizedError: 401,
  ForbiddenError: 403,
  JobNotFoundError: 404,
  NoSuchPrinterError: 404,
  NoInterruptedPrintError: 404,
  BlobNotFoundError: 404,
  TokenNotFoundError: 404,
  UnknownMethodError: 404,
  NotFoundError: 404,
  ConflictError: 409,
  JobEndedError: 409,
  OutputNotReadyError: 409,
  RequestIdReusedError: 409,
  PrinterNotReadyError: 409,
  BlobTooLargeError: 413,
  BlobFetchFailedError: 503,
  BlobBusyError: 503,
  BlobStoreFullError: 503,
  PrinterDisconnectedError: 503,
  ServiceUnavailableError: 503,
  EntryNotFoundError: 404,
  BadEntryFieldError: 400,
  UnknownDesignTypeError: 400,
  BlobUnavailableError: 503
}

/** Fastify's and its plugins' own errors, by code, named the way ours are. */
const NAME_BY_CODE: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'BadRequestError',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BadRequestError',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BadRequestError',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLargeError',
  FST_REQ_FILE_TOO_LARGE: 'BlobTooLargeError',
  FST_PARTS_LIMIT: 'PayloadTooLargeError',
  FST_FILES_LIMIT: 'PayloadTooLargeError',
  FST_FIELDS_LIMIT: 'PayloadTooLargeError',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaTypeError'
}

export class ServiceUnavailableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ServiceUnavailableError'
  }
}

/** The status and body for any error a route threw. */
export function errorAnswer (err: any): { status: number, body: ErrorBody } {
  const name: string = NAME_BY_CODE[err?.code] ?? (typeof err?.name === 'string' ? err.name : 'Error')
  const fromFastify = typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode as number : undefined
  const status = STATUS_BY_NAME[name] ?? fromFastify ?? 500
  // Fastify's and its plugins' other client errors keep their status and read as what they are.
  if (name === 'FastifyError' && status < 500) return { status, body: { error: status === 400 ? 'BadRequestError' : 'RequestError', message: String(err.message) } }
  const field: string | undefined = typeof err?.field === 'string' ? err.field : (err?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'body' : undefined)
  const message = typeof err?.message === 'string' && err.message !== '' ? err.message : 'the request failed'
  return { status, body: field == null ? { error: name, message } : { error: name, message, field } }
}
