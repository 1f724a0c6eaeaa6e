import { PrinterStateEvent } from '../../protocols/printer-state.js'
import { decodePrinterGossip } from './printer-gossip.js'
import type { Printer } from '../../protocols/capability.js'
import type { TopicRule } from '../net/gossip-guard.js'

export const PRINTER_STATE_TOPIC = '/meshnode/printer-state/1.0.0'
/** An event is about 100 bytes; anything larger is refused before it is decoded. */
export const MAX_PRINTER_STATE_BYTES = 512

const STATES = new Set(['offline', 'idle', 'printing', 'waiting-for-power', 'paused', 'bed-occupied', 'interrupted'])
const JOB_ID = /^[A-Za-z0-9-]{1,64}$/
/** Colder than any workshop, hotter than any hotend: a reading outside is not a reading. */
const MIN_C = -100
const MAX_C = 1000

export class MalformedPrinterStateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MalformedPrinterStateError'
  }
}

/** What the gossip guard lets through on the printer state topic. */
export const PRINTER_STATE_TOPIC_RULE: TopicRule = {
  topic: PRINTER_STATE_TOPIC,
  maxBytes: MAX_PRINTER_STATE_BYTES,
  check: (data) => { decodePrinterState(data) }
}

/** The event a printer's snapshot (from the print desk) is published as. */
export function printerStateEvent (printer: Printer): PrinterStateEvent {
  return {
    printer: printer.name,
    seq: printer.stateSeq,
    state: printer.state,
    currentJob: printer.currentJob,
    progress: printer.progress,
    hotendC: printer.hotendC,
    bedC: printer.bedC
  }
}

export function encodePrinterState (event: PrinterStateEvent): Uint8Array {
  return PrinterStateEvent.encode(event)
}

/** Decodes an event from the gossip topic and checks every field a receiver shows or compares. */
export function decodePrinterState (bytes: Uint8Array): PrinterStateEvent {
  const event = decodePrinterGossip(bytes, { what: 'printer state', maxBytes: MAX_PRINTER_STATE_BYTES, codec: PrinterStateEvent, error: MalformedPrinterStateError })
  if (!STATES.has(event.state)) throw new MalformedPrinterStateError(`printer state "${event.state.slice(0, 32)}" is not a state`)
  if (event.currentJob !== '' && !JOB_ID.test(event.currentJob)) throw new MalformedPrinterStateError('printer state with an invalid job id')
  if (!(event.progress >= 0 && event.progress <= 1)) throw new MalformedPrinterStateError('printer state with progress outside 0..1')
  for (const c of [event.hotendC, event.bedC]) {
    if (!(c >= MIN_C && c <= MAX_C)) throw new MalformedPrinterStateError(`printer state with a temperature outside ${MIN_C}..${MAX_C} °C`)
  }
  return event
}

/** A printer of a peer's record with the event's state over it, when the event is newer than the snapshot. */
export function withEvent (printer: Printer, event: PrinterStateEvent | undefined): Printer {
  if (event == null || event.printer !== printer.name || event.seq <= printer.stateSeq) return printer
  const { seq, state, currentJob, progress, hotendC, bedC } = event
  return { ...printer, stateSeq: seq, state, currentJob, progress, hotendC, bedC }
}
