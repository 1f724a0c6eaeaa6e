import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { gcodeCommand } from './gcode-text.js'

/** One command of a G-code file and where it sits in the file. */
export interface GcodeFileCommand {
  command: string
  /** 1-based line of the file the command came from (what an editor shows). */
  fileLine: number
  /** Byte offset just past this line: how much of the file is done once the command is acknowledged. */
  byteEnd: number
}

/**
 * The commands of a G-code file from `fromLine` on, read chunk by chunk so a large file is never held whole.
 * Comment-only and blank lines are skipped.
 */
export async function * readGcodeCommands (path: string, fromLine = 1): AsyncGenerator<GcodeFileCommand> {
  let fileLine = 0
  let offset = 0
  let carry = Buffer.alloc(0)
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    let buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    let newline = buffer.indexOf(10)
    while (newline >= 0) {
      fileLine++
      offset += newline + 1
      if (fileLine >= fromLine) {
        const command = gcodeCommand(buffer.toString('latin1', 0, newline))
        if (command !== '') yield { command, fileLine, byteEnd: offset }
      }
      buffer = buffer.subarray(newline + 1)
      newline = buffer.indexOf(10)
    }
    carry = Buffer.from(buffer)
  }
  if (carry.length > 0) {
    fileLine++
    offset += carry.length
    const command = gcodeCommand(carry.toString('latin1'))
    if (fileLine >= fromLine && command !== '') yield { command, fileLine, byteEnd: offset }
  }
}

/** The figures progress is measured against, for a print that starts at `fromLine`. */
export interface GcodeFileSurvey {
  commands: number
  bytes: number
  /** Byte offset where `fromLine` begins. */
  startByte: number
}

export async function surveyGcodeFile (path: string, fromLine = 1): Promise<GcodeFileSurvey> {
  const { size } = await stat(path)
  let commands = 0
  let startByte = -1
  let previousEnd = 0
  for await (const command of readGcodeCommands(path)) {
    if (command.fileLine >= fromLine) {
      commands++
      if (startByte < 0) startByte = previousEnd
    }
    previousEnd = command.byteEnd
  }
  return { commands, bytes: size, startByte: startByte < 0 ? size : startByte }
}
