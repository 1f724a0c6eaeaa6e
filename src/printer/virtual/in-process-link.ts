import type { PrinterTransport } from '../transport.js'
import type { VirtualPrinter } from './virtual-printer.js'

/**
 * A link to a virtual printer in this process, behaving like a serial line: bytes arrive asynchronously,
 * and either side can drop it.
 */
export function connectInProcess (printer: VirtualPrinter): PrinterTransport {
  const dataListeners: Array<(chunk: string) => void> = []
  const closeListeners: Array<(reason: string) => void> = []
  let open = true
  const hangUp = (reason: string): void => {
    if (!open) return
    open = false
    setImmediate(() => { for (const listener of closeListeners) listener(reason) })
  }
  printer.attach({
    send: (text) => {
      if (!open) return
      setImmediate(() => { if (open) for (const listener of dataListeners) listener(text) })
    },
    hangUp
  })
  return {
    write: (text) => {
      if (open) setImmediate(() => { printer.receive(text) })
    },
    onData: (listener) => { dataListeners.push(listener) },
    onClose: (listener) => { closeListeners.push(listener) },
    close: async () => {
      if (!open) return
      printer.detach()
      hangUp('closed by the host')
    },
    get isOpen () { return open }
  }
}
