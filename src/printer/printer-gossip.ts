import { PRINTER_NAME } from './printer-config.js'

/** What a printer node publishes about one printer on a gossip topic: the printer, and a count that only grows. */
export interface PrinterGossip {
  printer: string
  seq: number
}

/** How one kind of printer gossip is read: its name in errors, its size limit, its protobuf codec and its error. */
export interface PrinterGossipKind<T extends PrinterGossip> {
  what: string
  maxBytes: number
  codec: { decode(bytes: Uint8Array): T }
  error: new (message: string) => Error
}

/**
 * Decodes a printer's gossip message, refused (as the kind's error) before it is decoded when over the size
 * limit, and after when it is malformed or names no valid printer or seq. The kind's own fields are its caller's.
 */
export function decodePrinterGossip<T extends PrinterGossip> (bytes: Uint8Array, { what, maxBytes, codec, error }: PrinterGossipKind<T>): T {
  if (bytes.byteLength > maxBytes) throw new error(`${what} of ${bytes.byteLength} bytes is over the limit`)
  let message: T
  try {
    message = codec.decode(bytes)
  } catch (err: any) {
    throw new error(`malformed ${what}: ${err.message}`)
  }
  if (!PRINTER_NAME.test(message.printer)) throw new error(`${what} without a valid printer name`)
  if (!Number.isSafeInteger(message.seq) || message.seq < 1) throw new error(`${what} without a valid seq`)
  return message
}
