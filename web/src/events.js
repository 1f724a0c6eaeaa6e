import { API, authHeaders } from './api.js'

/** Waits between reconnects grow to this; a restarted peer is back within seconds. */
const MAX_RETRY_MS = 3000
/** An event's text past this is a broken stream, not an event. */
const MAX_EVENT_CHARS = 1024 * 1024

/**
 * The node's live events (GET /api/v1/events, Server-Sent Events), read with fetch so the bearer token goes
 * in a header (EventSource cannot send one). When the stream ends (the peer restarted, the network blinked)
 * it reconnects with the last id in Last-Event-ID and calls onOpen again, so the page refreshes what it
 * missed. Nothing is ever polled.
 */
export function streamEvents ({ onEvent, onOpen, onDown }) {
  let lastId = null
  let stopped = false
  let retryMs = 250
  let controller

  const run = async () => {
    while (!stopped) {
      controller = new AbortController()
      let failure = null
      try {
        const headers = { ...authHeaders(), accept: 'text/event-stream' }
        if (lastId != null) headers['last-event-id'] = lastId
        const response = await fetch(API + '/events', { headers, signal: controller.signal, cache: 'no-store' })
        if (!response.ok || response.body == null) {
          const body = await response.json().catch(() => null)
          throw new Error(body?.message ?? `the event stream answered HTTP ${response.status}`)
        }
        retryMs = 250
        onOpen()
        await readStream(response.body, (event) => {
          if (event.id != null) lastId = event.id
          onEvent(event)
        })
      } catch (err) {
        failure = err
      }
      if (stopped) return
      onDown(failure)
      await new Promise(resolve => setTimeout(resolve, retryMs))
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    }
  }
  run()
  return () => { stopped = true; controller?.abort() }
}

async function readStream (body, emit) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    if (buffer.length > MAX_EVENT_CHARS) throw new Error('an event too large')
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = parseBlock(block)
      if (event != null) emit(event)
    }
  }
}

function parseBlock (block) {
  let id = null
  let type = 'message'
  const data = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') id = value
    else if (field === 'event') type = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return null
  try {
    return { id, type, data: JSON.parse(data.join('\n')) }
  } catch {
    return null
  }
}
