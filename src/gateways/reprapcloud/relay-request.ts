import { safeExtension } from '../../jobs/file-names.js'
import type { FastifyRequest } from 'fastify'
import type { BlobStore } from '../../blobs/blob-store.js'

/** Inputs per task (fileIn0..fileIn31); the relay's clients send one to three. */
export const MAX_INPUTS = 32
/** Form fields of one request, inputs included. */
const MAX_FIELDS = 128
/** Every field but a file's content: a service name, an id, a notifier URL, an argument. */
export const MAX_FIELD_BYTES = 2048
/** A fileIn sent as content in the form rather than as an upload (the relay's JQuery clients do that). */
export const MAX_CONTENT_BYTES = 16 * 1024 * 1024

/** A request the relay's clients would never send, named by its field; answered in the relay's shape. */
export class RelayRequestError extends Error {
  readonly field: string

  constructor (field: string, message: string) {
    super(message)
    this.name = 'RelayRequestError'
    this.field = field
  }
}

/** One fileInN, already in the blob store. */
export interface RelayInput {
  hash: string
  size: number
  /** Without the dot, '' when the upload's name had none (or content was sent). */
  extension: string
}

export interface RelayRequest {
  /** Every field but the inputs, by name. */
  fields: Map<string, string>
  /** fileInN by N. */
  inputs: Map<number, RelayInput>
}

type Store = Pick<BlobStore, 'write' | 'maxBlobBytes'>

const FILE_IN = /^fileIn(\d{1,2})$/

/**
 * The relay's fields, whichever way they came: a GET query, an urlencoded POST (body over query, as CGI.pm
 * merges them) or a multipart POST, where a fileInN is an upload or its content. Each input streams into the
 * blob store as it arrives; an upload keeps only its extension, never its name.
 */
export async function readRelayRequest (request: FastifyRequest, store: Store): Promise<RelayRequest> {
  const relay: RelayRequest = { fields: new Map(), inputs: new Map() }
  const plain = { ...plainFields(request.query), ...(request.isMultipart() ? {} : plainFields(request.body)) }
  if (Object.keys(plain).length > MAX_FIELDS) throw new RelayRequestError('(form)', `a request has at most ${MAX_FIELDS} fields`)
  for (const [name, value] of Object.entries(plain)) await addField(relay, name, value, store)
  if (!request.isMultipart()) return relay
  let count = Object.keys(plain).length
  const parts = request.parts({ limits: { fileSize: store.maxBlobBytes + 1, files: MAX_INPUTS, fields: MAX_FIELDS, fieldSize: MAX_CONTENT_BYTES, parts: MAX_FIELDS } })
  try {
    for await (const part of parts) {
      if (++count > MAX_FIELDS) throw new RelayRequestError('(form)', `a request has at most ${MAX_FIELDS} fields`)
      if (part.type === 'file') {
        const n = inputIndex(part.fieldname)
        if (n == null) {
          part.file.resume()
          throw new RelayRequestError(part.fieldname, `${part.fieldname} is not a file field: send files as fileIn0, fileIn1, ...`)
        }
        const stored = await store.write(part.file)
        relay.inputs.set(n, { hash: stored.hash, size: stored.size, extension: safeExtension(part.filename ?? '').slice(1) })
        continue
      }
      if (part.valueTruncated) throw new RelayRequestError(part.fieldname, `${part.fieldname} is longer than ${MAX_CONTENT_BYTES} bytes`)
      await addField(relay, part.fieldname, String(part.value), store)
    }
  } catch (err: any) {
    if (err instanceof RelayRequestError) throw err
    // The multipart parser's own complaints (limits, a broken body) are the client's mistake, not the node's.
    if (err?.code?.startsWith?.('FST_') === true || /multipart|boundary|limit/i.test(String(err?.message))) throw new RelayRequestError('(form)', `the form cannot be read: ${String(err.message)}`)
    throw err
  }
  return relay
}

async function addField (relay: RelayRequest, name: string, value: string, store: Store): Promise<void> {
  const n = inputIndex(name)
  if (n != null) {
    if (Buffer.byteLength(value) > MAX_CONTENT_BYTES) throw new RelayRequestError(name, `${name} is longer than ${MAX_CONTENT_BYTES} bytes`)
    const stored = await store.write(contentOf(value))
    relay.inputs.set(n, { hash: stored.hash, size: stored.size, extension: '' })
    return
  }
  if (Buffer.byteLength(name) > 64) throw new RelayRequestError(name.slice(0, 64), 'a field name is at most 64 bytes')
  if (Buffer.byteLength(value) > MAX_FIELD_BYTES) throw new RelayRequestError(name, `${name} is longer than ${MAX_FIELD_BYTES} bytes`)
  relay.fields.set(name, value)
}

function inputIndex (name: string): number | undefined {
  const match = FILE_IN.exec(name)
  if (match == null) return undefined
  const n = Number(match[1])
  if (n >= MAX_INPUTS) throw new RelayRequestError(name, `at most ${MAX_INPUTS} inputs, fileIn0 to fileIn${MAX_INPUTS - 1}`)
  return n
}

/** A query or an urlencoded body as name -> value; a repeated name keeps its first value, as CGI.pm's Vars does not. */
function plainFields (source: unknown): Record<string, string> {
  if (source == null || typeof source !== 'object') return {}
  const fields: Record<string, string> = {}
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string') fields[name] = first
  }
  return fields
}

/** Text sent in a field, as the one chunk a blob is written from. */
export async function * contentOf (text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text)
}
