import { Uint8ArrayList } from 'uint8arraylist'
import { DISK_WRITE_BYTES, RECEIVE_HIGH_WATER_BYTES, RECEIVE_LOW_WATER_BYTES, RECEIVE_READ_BUFFER_BYTES } from './constants.js'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

/** No byte arrived for longer than the idle timeout. */
export class BlobStreamIdleError extends Error {
  constructor (message = 'no data from the peer within the timeout') {
    super(message)
    this.name = 'BlobStreamIdleError'
  }
}

export interface BodyReadOptions {
  idleTimeoutMs: number
  signal: AbortSignal
}

/**
 * Reads the rest of a stream as disk-sized batches of the pieces that arrived, not copied into one
 * buffer. Iterating a libp2p stream directly buffers without limit when the disk is slower than the
 * network; here the stream is paused above a high-water mark, which stops yamux window updates and so
 * stops the sender.
 */
export async function * readStreamBody (stream: Stream, options: BodyReadOptions): AsyncGenerator<Uint8Array[]> {
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, RECEIVE_READ_BUFFER_BYTES)
  const queue = new Uint8ArrayList()
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const notify = (): void => { wake?.() }
  // Deferred: a message can be dispatched from inside resume(), which grants yamux window *after*
  // dispatching, so a pause made during the dispatch would be undone at once.
  const pauseIfFull = (): void => {
    if (queue.byteLength >= RECEIVE_HIGH_WATER_BYTES && stream.readStatus === 'readable') stream.pause()
  }
  const onMessage = (evt: StreamMessageEvent): void => {
    queue.append(evt.data)
    if (queue.byteLength >= RECEIVE_HIGH_WATER_BYTES) queueMicrotask(pauseIfFull)
    notify()
  }
  const onEnd = (): void => { ended = true; notify() }
  const onClose = (evt: StreamCloseEvent): void => {
    if (evt.error != null) failure = evt.error
    else resumeIfPaused(stream)
    ended = true
    notify()
  }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('end', onEnd)
  stream.addEventListener('close', onClose)
  try {
    if (stream.readableEnded) ended = true
    for (;;) {
      if (queue.byteLength > 0) {
        const batch = queue.sublist(0, Math.min(queue.byteLength, DISK_WRITE_BYTES))
        queue.consume(batch.byteLength)
        if (queue.byteLength < RECEIVE_LOW_WATER_BYTES) resumeIfPaused(stream)
        yield [...batch]
        continue
      }
      if (failure != null) throw failure
      // 'end' can come before the last bytes: a header reader that read ahead hands them back to the
      // stream when it is unwrapped, after the remote had closed, and they are dispatched from a microtask.
      if (ended && stream.readBufferLength === 0) return
      await waitForData(options, (resolve) => { wake = resolve })
      wake = undefined
    }
  } finally {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('end', onEnd)
    stream.removeEventListener('close', onClose)
  }
}

/**
 * resume() hands over what was buffered, then sends a window update. When the connection is already gone
 * (a reset from the peer closes our streams without an error) that update throws; the data is ours by
 * then and the close tells the rest, so the throw must not escape, least of all from a close listener.
 */
function resumeIfPaused (stream: Stream): void {
  if (stream.readStatus !== 'paused') return
  try {
    stream.resume()
  } catch (err) {
    if ((err as Error).name !== 'StreamStateError') throw err
  }
}

async function waitForData (options: BodyReadOptions, register: (resolve: () => void) => void): Promise<void> {
  options.signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown): void => {
      clearTimeout(timer)
      options.signal.removeEventListener('abort', onAbort)
      if (err == null) resolve()
      else reject(err)
    }
    const onAbort = (): void => done(options.signal.reason)
    const timer = setTimeout(() => done(new BlobStreamIdleError()), options.idleTimeoutMs)
    options.signal.addEventListener('abort', onAbort)
    register(() => done())
  })
}
