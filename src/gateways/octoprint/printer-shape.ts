import type { MeshPrinter } from './mesh-printers.js'

/** OctoPrint's printer state flags. */
interface StateFlags {
  operational: boolean
  paused: boolean
  printing: boolean
  pausing: boolean
  cancelling: boolean
  sdReady: boolean
  error: boolean
  ready: boolean
  closedOrError: boolean
}

const TEXT: Record<string, string> = {
  idle: 'Operational',
  printing: 'Printing',
  paused: 'Paused',
  'bed-occupied': 'Operational',
  interrupted: 'Error'
}

/**
 * A mesh printer as OctoPrint's GET /api/printer: state text and flags, and temperatures. The mesh's printer
 * records carry each heater's reading, not its target, so `target` is null (OctoPrint's value for "unknown").
 * A printer whose bed holds the last part is operational but not ready, until the operator clears it.
 */
export function printerShape (printer: MeshPrinter): Record<string, unknown> {
  const flags: StateFlags = {
    operational: true,
    paused: printer.state === 'paused',
    printing: printer.state === 'printing',
    pausing: false,
    cancelling: false,
    sdReady: false,
    error: printer.state === 'interrupted',
    ready: printer.state === 'idle',
    closedOrError: false
  }
  return {
    temperature: {
      tool0: { actual: printer.hotendC ?? null, target: null, offset: 0 },
      bed: { actual: printer.bedC ?? null, target: null, offset: 0 }
    },
    sd: { ready: false },
    state: { text: TEXT[printer.state] ?? 'Operational', flags }
  }
}
