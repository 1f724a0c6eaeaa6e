/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  id: number
  type: string
  data: any
}

/**
 * Reads a Server-Sent Events stream with fetch in the background: `events` fills as they arrive; close()
 * ends the connection (as a client that goes away does).
 */
export class SseReader {
  readonly events: SseEvent[] = []
  private readonly abort = new AbortController()
  status = 0

  private constructor (response: Response) {
    this.status = response.status
    void this.read(response)
  }

  static async open (url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const abort = new AbortController()
    const response = await fetch(url, { headers, signal: abort.signal })
    const reader = new SseReader(response)
    reader.abort.signal.addEventListener('abort', () => { abort.abort() })
    return reader
  }

  close (): void {
    this.abort.abort()
  }

  /** Waits (bounded) until an event matches. */
  async until (match: (event: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.find(match)
      if (found != null) return found
      if (Date.now() > deadline) throw new Error(`no matching event in ${timeoutMs} ms; got ${this.events.length}: ${JSON.stringify(this.events.slice(-5))}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  private async read (response: Response): Promise<void> {
    if (response.body == null) return
    const decoder = new TextDecoder()
    let buffered = ''
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end)
          buffered = buffered.slice(end + 2)
          const fields = new Map(frame.split('\n').filter(l => !l.startsWith(':')).map(l => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]))
          if (fields.has('id')) this.events.push({ id: Number(fields.get('id')), type: fields.get('event') ?? 'message', data: JSON.parse(fields.get('data') ?? 'null') })
        }
      }
    } catch {
      // Closed by close(), or by the server: the events read so far stay.
    }
  }
}
