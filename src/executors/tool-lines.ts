import type { Readable } from 'node:stream'

/** A tool that writes this much with no newline (a progress bar redrawn with \r) is passed on in pieces. */
export const MAX_PENDING_LINE = 64 * 1024

/**
 * Cuts a tool's output into lines as it arrives: `\n` ends a line, and a `\r` just before it is dropped
 * (a Windows line end). Text with no newline is held up to `maxLine` characters, then passed on as it is,
 * so a tool that never ends a line cannot grow the node's memory.
 */
export class LineSplitter {
  private pending = ''

  constructor (private readonly onLine: (line: string) => void, private readonly maxLine = MAX_PENDING_LINE) {}

  push (chunk: string): void {
    const text = this.pending + chunk
    let start = 0
    let newline
    while ((newline = text.indexOf('\n', start)) >= 0) {
      this.emit(text.slice(start, newline))
      start = newline + 1
    }
    this.pending = text.slice(start)
    while (this.pending.length > this.maxLine) {
      this.onLine(this.pending.slice(0, this.maxLine))
      this.pending = this.pending.slice(this.maxLine)
    }
  }

  /** The last line, if the tool ended without a newline. */
  end (): void {
    if (this.pending !== '') this.emit(this.pending)
    this.pending = ''
  }

  private emit (line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line)
  }
}

/** Reads a tool's stdout or stderr as UTF-8 lines (a character split over two reads stays whole). */
export function readLines (stream: Readable, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine)
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => splitter.push(chunk))
  stream.on('end', () => splitter.end())
}
