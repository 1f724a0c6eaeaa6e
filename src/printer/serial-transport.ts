import { constants, open } from 'node:fs'
import { ReadStream } from 'node:tty'
import { promisify } from 'node:util'
import { logger } from '@libp2p/logger'
import { SerialPort } from 'serialport'
import { PrinterDisconnectedError } from './errors.js'
import type { PrinterTransport } from './transport.js'

const log = logger('meshnode:printer:serial')
const openDescriptor = promisify(open)

/**
 * Opens a serial device (or a PTY standing in for one). Rejects with PrinterDisconnectedError if it cannot.
 *
 * serialport opens the device, sets its baud rate and raw mode and holds its lock, but carries no bytes: its
 * poll, then thread-pool read, and thread-pool write cost a few hundred µs of CPU per line. The lines go through
 * a second descriptor of the same device in a libuv tty stream, which reads and writes on the event loop.
 * Baud rate and raw mode belong to the device, so both descriptors share them.
 */
export async function openSerialTransport (path: string, baudRate: number): Promise<PrinterTransport> {
  const port = await SerialPort.binding.open({ path, baudRate }).catch((err: Error) => {
    throw new PrinterDisconnectedError(`cannot open ${path}: ${err.message}`)
  })
  let stream: ReadStream
  try {
    // O_NOCTTY: a daemon without a terminal must not adopt the printer as its own. libuv reopens the device by
    // its path to own its non-blocking mode; serialport set CLOCAL, so that open does not wait for a carrier.
    stream = new ReadStream(await openDescriptor(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK))
  } catch (err) {
    await port.close()
    throw new PrinterDisconnectedError(`cannot open ${path}: ${(err as Error).message}`)
  }
  stream.setEncoding('latin1')
  const closeListeners: Array<(reason: string) => void> = []
  let failure: string | undefined
  stream.on('error', (err: Error) => { failure ??= err.message })
  // A tty that hung up (a USB adapter unplugged) reads as the end of the stream, or fails with EIO.
  stream.on('end', () => {
    failure ??= 'the device hung up'
    stream.destroy()
  })
  const closed = new Promise<void>((resolve) => {
    stream.once('close', () => {
      port.close()
        .catch((err: Error) => { log('closing %s: %e', path, err) })
        .finally(() => {
          const reason = failure === undefined ? `${path} closed` : `${path}: ${failure}`
          for (const listener of closeListeners) listener(reason)
          resolve()
        })
    })
  })
  return {
    write: (text) => { if (!stream.destroyed) stream.write(text, 'latin1') },
    onData: (listener) => { stream.on('data', listener) },
    onClose: (listener) => { closeListeners.push(listener) },
    close: async () => {
      stream.destroy()
      await closed
    },
    get isOpen () { return !stream.destroyed }
  }
}
