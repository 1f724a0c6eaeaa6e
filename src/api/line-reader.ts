import { MAX_LINE_BYTES } from './constants.js'
import type { Socket } from 'node:net'

export class ControlProtocolError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ControlProtocolError'
  }
}

/** Splits a socket into JSON messages, one per line, refusing lines over the limit. */
export function onJsonLines (socket: Socket, handle: (message: any) => void, fail: (err: Error) => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      if (newline > MAX_LINE_BYTES) {
        fail(new ControlProtocolError(`a control message is over ${MAX_LINE_BYTES} bytes`))
        return
      }
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line.trim() === '') continue
      let message
      try {
        message = JSON.parse(line)
      } catch {
        fail(new ControlProtocolError('a control message is not JSON'))
        return
      }
      handle(message)
    }
    if (buffered.length > MAX_LINE_BYTES) fail(new ControlProtocolError(`a control message is over ${MAX_LINE_BYTES} bytes`))
  })
}
