import { SerialPort } from 'serialport'
import { PrinterDisconnectedError } from './errors.js'
import type { PrinterTransport } from './transport.js'

/** Opens a serial device (or a PTY standing in for one). Rejects with PrinterDisconnectedError if it cannot. */
export async function openSerialTransport (path: string, baudRate: number): Promise<PrinterTransport> {
  const port = new SerialPort({ path, baudRate, autoOpen: false })
  await new Promise<void>((resolve, reject) => {
    port.open((err) => { err == null ? resolve() : reject(new PrinterDisconnectedError(`cannot open ${path}: ${err.message}`)) })
  })
  port.setEncoding('latin1')
  const closeListeners: Array<(reason: string) => void> = []
  let closeReason = `${path} closed`
  port.on('error', (err: Error) => { closeReason = `${path}: ${err.message}` })
  port.on('close', () => { for (const listener of closeListeners) listener(closeReason) })
  return {
    write: (text) => { port.write(text, 'latin1') },
    onData: (listener) => { port.on('data', (chunk: string) => { listener(chunk) }) },
    onClose: (listener) => { closeListeners.push(listener) },
    close: async () => {
      if (!port.isOpen) return
      await new Promise<void>((resolve) => { port.close(() => { resolve() }) })
    },
    get isOpen () { return port.isOpen }
  }
}
