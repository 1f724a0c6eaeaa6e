import { BadRequestError } from '../api-errors.js'
import { API_PREFIX, callerOf, routeSchema } from './method-routes.js'
import { ServiceUnavailableError } from './http-errors.js'
import type { FastifyInstance } from 'fastify'
import type { MeshEvent } from '../event-log.js'
import type { MethodTable } from '../method-table.js'

/** Streams open at once; a dashboard holds one, so this is dozens of browsers. */
const MAX_STREAMS = 64
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000
/** A client this far behind is cut off; it reconnects with Last-Event-ID and catches up from the ring. */
const MAX_UNSENT_BYTES = 1024 * 1024

/**
 * GET /api/v1/events: the `events` method as Server-Sent Events. Each event carries its id; a client that
 * reconnects sends the last one as `Last-Event-ID` (or `?after=`) and gets the events it missed that the
 * node still holds.
 */
export function eventsRoute (app: FastifyInstance, methods: MethodTable, streams: Set<AbortController>): void {
  const spec = methods.spec('events')
  if (spec == null) return
  app.get(API_PREFIX + '/events', {
    schema: { ...routeSchema(spec, { path: '/events' }), produces: ['text/event-stream'] }
  }, async (request, reply) => {
    const caller = callerOf(request)
    const query = request.query as Record<string, unknown>
    const resumeFrom = request.headers['last-event-id'] ?? query.after
    if (resumeFrom != null && (typeof resumeFrom !== 'string' || !/^\d{1,15}$/.test(resumeFrom))) {
      throw new BadRequestError('Last-Event-ID must be the id of an event this stream sent', 'Last-Event-ID')
    }
    const params = resumeFrom == null ? {} : { after: Number(resumeFrom) }
    await methods.admit('events', params, caller)
    if (streams.size >= MAX_STREAMS) throw new ServiceUnavailableError(`${MAX_STREAMS} event streams are open; try again later`)
    const open = new AbortController()
    streams.add(open)
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    raw.write(': meshnode events\n\n')
    raw.once('close', () => { open.abort() })
    const keepalive = setInterval(() => { raw.write(': keepalive\n\n') }, KEEPALIVE_MS)
    const send = (event: MeshEvent): void => {
      if (raw.writableLength > MAX_UNSENT_BYTES) { raw.destroy(); return }
      raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`)
    }
    try {
      await methods.call('events', params, { caller, signal: open.signal, emit: (event) => { send(event as MeshEvent) } })
    } finally {
      clearInterval(keepalive)
      streams.delete(open)
      raw.end()
    }
  })
}
