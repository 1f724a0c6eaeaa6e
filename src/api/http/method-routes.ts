import { BadRequestError } from '../api-errors.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import type { MethodTable } from '../method-table.js'
import type { MethodSpec } from '../method.js'
import type { Caller } from '../caller.js'

export const API_PREFIX = '/api/v1'
/** Events a method streams are collected into an HTTP answer up to this many. */
const MAX_COLLECTED_EVENTS = 10_000

/** The caller the request authenticated as; throws its 401 otherwise. */
export function callerOf (request: FastifyRequest): Caller {
  const { caller, failure } = request.authentication ?? {}
  if (caller == null) throw failure ?? new Error('request was not authenticated')
  return caller
}

/** An AbortSignal that fires when the client goes away before the whole answer was sent. */
export function requestSignal (reply: FastifyReply): AbortSignal {
  const gone = new AbortController()
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort() })
  return gone.signal
}

/**
 * One route per method that has an HTTP form: path params, then the query (GET) or the JSON body (POST) become
 * the method's params, checked and authorized by the table like any other call.
 */
export function methodRoutes (app: FastifyInstance, methods: MethodTable): void {
  for (const spec of methods.specs()) {
    const http = spec.http
    if (http == null) continue
    app.route({
      method: http.verb,
      url: API_PREFIX + http.path,
      schema: routeSchema(spec),
      handler: async (request, reply) => {
        const caller = callerOf(request)
        const input = http.verb === 'GET' ? fromQuery(spec.params, request.query) : bodyObject(request.body)
        const params = { ...input, ...(request.params as object) }
        const events: unknown[] = []
        const result = await methods.call(spec.name, params, { caller, signal: requestSignal(reply), emit: (event) => { if (events.length < MAX_COLLECTED_EVENTS) events.push(event) } })
        return events.length > 0 && typeof result === 'object' && result != null ? { ...result, events } : result
      }
    })
  }
}

function bodyObject (body: unknown): Record<string, unknown> {
  if (body == null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the body must be a JSON object', 'body')
  return body as Record<string, unknown>
}

/** Query strings carry text: "true"/"false" and whole numbers become what the method's schema asks for. */
function fromQuery (schema: TSchema, query: unknown): Record<string, unknown> {
  const properties: Record<string, { type?: string }> = (schema as any).properties ?? {}
  const params: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(query as Record<string, unknown> ?? {})) {
    const type = properties[key]?.type
    if (type === 'boolean' && (value === 'true' || value === 'false')) params[key] = value === 'true'
    else if ((type === 'integer' || type === 'number') && typeof value === 'string' && /^-?\d{1,15}$/.test(value)) params[key] = Number(value)
    else params[key] = value
  }
  return params
}

/** The route's schema for the OpenAPI document: path params, the rest as query (GET) or body (POST), the result. */
export function routeSchema (spec: MethodSpec, split: { path?: string } = {}): Record<string, unknown> {
  const path = split.path ?? spec.http?.path ?? ''
  const inPath = [...path.matchAll(/:(\w+)/g)].map(m => m[1])
  const properties: Record<string, TSchema> = (spec.params as any).properties ?? {}
  const required: string[] = (spec.params as any).required ?? []
  const pick = (keys: string[]): Record<string, unknown> => ({
    type: 'object',
    properties: Object.fromEntries(keys.map(k => [k, properties[k]])),
    required: required.filter(k => keys.includes(k))
  })
  const rest = Object.keys(properties).filter(k => !inPath.includes(k))
  const schema: Record<string, unknown> = {
    summary: spec.summary,
    description: `Method "${spec.name}"; needs scope ${spec.access}${spec.ownJob === true ? ' (a submit token: only its own jobs)' : ''}.`,
    response: { 200: spec.result }
  }
  if (inPath.length > 0) schema.params = pick(inPath)
  if (rest.length > 0) schema[spec.http?.verb === 'POST' ? 'body' : 'querystring'] = pick(rest)
  return schema
}
