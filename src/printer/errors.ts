/** The printer said nothing (no ok, busy, temperature or echo) for longer than the sender waits. */
export class CommunicationTimeoutError extends Error {
  constructor (readonly silentMs: number) {
    super(`communication timeout: the printer has not answered for ${Math.round(silentMs / 1000)} s`)
    this.name = 'CommunicationTimeoutError'
  }
}

/** The firmware asked for the same line again and again: the link is too noisy to print on. */
export class TooManyResendsError extends Error {
  constructor (readonly lineNumber: number, readonly resends: number) {
    super(`the printer asked to resend line ${lineNumber} ${resends} times in a row; giving up`)
    this.name = 'TooManyResendsError'
  }
}

/** The firmware asked for a line older than the sender's history of recent lines. */
export class ResendOutOfHistoryError extends Error {
  constructor (readonly lineNumber: number) {
    super(`the printer asked to resend line ${lineNumber}, which is no longer in the sender's history`)
    this.name = 'ResendOutOfHistoryError'
  }
}

/** The firmware reported an error that is not about the serial link (thermal runaway, kill(), ...). */
export class FirmwareError extends Error {
  constructor (readonly firmwareMessage: string) {
    super(`the printer reported an error: ${firmwareMessage}`)
    this.name = 'FirmwareError'
  }
}

/** The serial link closed underneath the sender (cable pulled, printer reset, port gone). */
export class PrinterDisconnectedError extends Error {
  constructor (detail: string) {
    super(`printer disconnected: ${detail}`)
    this.name = 'PrinterDisconnectedError'
  }
}

/** The printer never sent its start banner nor answered M110/M115. */
export class HandshakeError extends Error {
  constructor (detail: string) {
    super(`printer handshake failed: ${detail}`)
    this.name = 'HandshakeError'
  }
}

/** A print was asked of a printer that cannot take it now; `reason` is what an operator reads. */
export class PrinterNotReadyError extends Error {
  constructor (readonly reason: string) {
    super(reason)
    this.name = 'PrinterNotReadyError'
  }
}
