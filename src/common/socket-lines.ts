import type { Socket } from 'node:net'

/**
 * Calls `handle` with each line of the socket's text, in order; `handle` returns false to stop reading the
 * rest of what arrived. A line still unfinished past `maxChars` calls `tooLong`: the sender is sending more
 * than any message can be, and the caller ends the connection.
 */
export function onLines (socket: Socket, maxChars: number, handle: (line: string) => boolean | undefined, tooLong: () => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (handle(line) === false) return
    }
    if (buffered.length > maxChars) tooLong()
  })
}
