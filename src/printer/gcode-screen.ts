import { readGcodeBatches } from './gcode-file.js'
import type { GcodePolicy } from './gcode-policy.js'

/** A print carries a command the printer's G-code policy denies; nothing of it was sent. */
export class GcodeRefusedError extends Error {
  constructor (readonly printer: string, readonly fileLine: number, readonly command: string, readonly code: string) {
    super(`printer ${printer} refuses line ${fileLine} of the G-code, "${command.slice(0, 80)}": ${code} is not taken from other peers (see printers[].gcodePolicy)`)
    this.name = 'GcodeRefusedError'
  }
}

/**
 * Reads the whole file, a chunk at a time, before its first line goes to the printer: a denied command near
 * the end must not leave half a part on the bed. Throws GcodeRefusedError for the first denied line.
 */
export async function screenGcodeFile (path: string, policy: GcodePolicy, printer: string): Promise<void> {
  for await (const batch of readGcodeBatches(path)) {
    for (const { command, fileLine } of batch) {
      const code = policy.refuses(command)
      if (code !== null) throw new GcodeRefusedError(printer, fileLine, command, code)
    }
  }
}
