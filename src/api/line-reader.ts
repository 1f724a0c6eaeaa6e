import { onLines } from '../common/socket-lines.js'
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
  const tooLong = (): void => { fail(new ControlProtocolError(`a control message is over ${MAX_LINE_BYTES} bytes`)) }
  onLines(socket, MAX_LINE_BYTES, (line) => {
    if (line.length > MAX_LINE_BYTES) {
      tooLong()
      return false
    }
    if (line.trim() === '') return true
    let message
    try {
      message = JSON.parse(line)
    } catch {
      fail(new ControlProtocolError('a control message is not JSON'))
      return false
    }
    handle(message)
    return true
  }, tooLong)
}
