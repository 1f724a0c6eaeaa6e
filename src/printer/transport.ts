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
    this.pending += chunk
    let newline = this.pending.search(/[\r\n]/)
    while (newline >= 0) {
      const line = this.pending.slice(0, newline)
      this.pending = this.pending.slice(newline + 1)
      if (line.length > 0) this.onLine(line)
      newline = this.pending.search(/[\r\n]/)
    }
  }
}
