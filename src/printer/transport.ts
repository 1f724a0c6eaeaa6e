/**
 * A byte link to a printer: a serial port, a PTY, or an in-process virtual printer.
 * The sender writes whole lines and reads whatever bytes arrive.
 */
export interface PrinterTransport {
  write (text: string): void
  onData (listener: (chunk: string) => void): void
  /** Called once, when the link closes for any reason (including `close()`). */
  onClose (listener: (reason: string) => void): void
  close (): Promise<void>
  readonly isOpen: boolean
}

/** Cuts a byte stream into lines; a partial line waits for the rest of its bytes. */
export class LineSplitter {
  private pending = ''

  constructor (private readonly onLine: (line: string) => void) {}

  push (chunk: string): void {
    const text = this.pending === '' ? chunk : this.pending + chunk
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      if (i > start) this.onLine(text.slice(start, i))
      start = i + 1
    }
    this.pending = start === 0 ? text : text.slice(start)
  }
}
