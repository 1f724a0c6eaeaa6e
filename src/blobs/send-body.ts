import type { Stream } from '@libp2p/interface'

/** The peer took no data for longer than the timeout. */
export class BlobSendStalledError extends Error {
  constructor (message = 'the peer stopped taking data') {
    super(message)
    this.name = 'BlobSendStalledError'
  }
}

/**
 * Writes chunks to a stream keeping at most one chunk queued in it. `send() === false` plus onDrain()
 * is not enough here: every stream on a connection gets 'drain' whenever the connection drains, even
 * one whose yamux window is still shut, so that pattern can queue a whole file in memory. Waiting for
 * the stream's own write queue to empty ('idle') cannot.
 */
export async function sendBody (stream: Stream, chunks: AsyncIterable<Uint8Array>, idleTimeoutMs: number): Promise<void> {
  for await (const chunk of chunks) {
    stream.send(chunk)
    if (stream.writeBufferLength > 0) await writeQueueEmpty(stream, idleTimeoutMs)
  }
}

/** Resolves once the stream has handed everything to the muxer; rejects if it closes or stalls. */
export async function writeQueueEmpty (stream: Stream, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      stream.removeEventListener('idle', onIdle)
      stream.removeEventListener('close', onClose)
      if (err == null) resolve()
      else reject(err)
    }
    const onIdle = (): void => { finish() }
    const onClose = (evt: Event & { error?: Error }): void => { finish(evt.error ?? new Error('stream closed while sending')) }
    const timer = setTimeout(() => { finish(new BlobSendStalledError()) }, timeoutMs)
    stream.addEventListener('idle', onIdle)
    stream.addEventListener('close', onClose)
    if (stream.writeBufferLength === 0) finish()
  })
}
