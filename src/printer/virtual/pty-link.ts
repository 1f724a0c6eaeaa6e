import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { logger } from '@libp2p/logger'
import { SerialPort } from 'serialport'
import type { VirtualPrinter } from './virtual-printer.js'

const log = logger('meshnode:printer:pty')

/** socat is not installed, or did not make its PTY pair in time. */
export class PtyUnavailableError extends Error {
  constructor (detail: string) {
    super(`cannot make a PTY pair with socat: ${detail}`)
    this.name = 'PtyUnavailableError'
  }
}

export interface VirtualPrinterPty {
  /** The device a host opens, e.g. with GcodeSender over openSerialTransport, or with printrun. */
  readonly path: string
  /** Settles when socat is gone: after `close()`, or when the disconnect fault (or anything else) ended it. */
  readonly gone: Promise<void>
  close: () => Promise<void>
}

const READY_WAIT_MS = 5000

/**
 * Serves a virtual printer on a PTY: `socat` makes a linked pair, the printer holds one end and `path` is
 * the other. The disconnect fault kills socat, so the host sees its device vanish as with a pulled cable.
 * socat waits for the host to open `path` (wait-slave) and ends when the host closes it, as one session.
 */
export async function servePrinterOnPty (printer: VirtualPrinter, path: string): Promise<VirtualPrinterPty> {
  const printerSide = `${path}.printer`
  const socat = execa('socat', ['-d', '-d', `pty,raw,echo=0,link=${printerSide}`, `pty,raw,echo=0,link=${path}`], { reject: false, stdio: 'ignore' })
  let socatRunning = true
  const exited = socat.then((result) => {
    socatRunning = false
    log('socat exited: %s', result.exitCode ?? result.signal)
  })
  const stopSocat = async (): Promise<void> => {
    if (socatRunning) socat.kill('SIGTERM')
    await exited
  }
  try {
    const deadline = Date.now() + READY_WAIT_MS
    while (!(existsSync(printerSide) && existsSync(path))) {
      await sleep(20)
      if (!socatRunning) {
        throw new PtyUnavailableError('socat exited before making the PTY pair (is it installed?)')
      }
      if (Date.now() > deadline) throw new PtyUnavailableError(`no PTY pair after ${READY_WAIT_MS} ms`)
    }
    // A PTY ignores the baud rate; the printer imposes its own line rate, so any standard rate opens it.
    const port = new SerialPort({ path: printerSide, baudRate: 115200, autoOpen: false })
    await new Promise<void>((resolve, reject) => { port.open((err) => { err == null ? resolve() : reject(err) }) })
    port.setEncoding('latin1')
    port.on('data', (chunk: string) => { printer.receive(chunk) })
    port.on('error', (err: Error) => { log('printer side of the PTY: %e', err) })
    printer.attach({
      send: (text) => { if (port.isOpen) port.write(text, 'latin1') },
      hangUp: () => { void stopSocat() }
    })
    log('virtual printer on %s', path)
    return {
      path,
      gone: exited,
      close: async () => {
        printer.detach()
        if (port.isOpen) await new Promise<void>((resolve) => { port.close(() => { resolve() }) })
        await stopSocat()
      }
    }
  } catch (err) {
    await stopSocat()
    throw err
  }
}
