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
 * The commands of a G-code file from `fromLine` on, one batch per chunk read (64 KiB), so a large file is
 * never held whole and the sender awaits once per chunk rather than once per line.
 * Comment-only and blank lines are skipped; a batch may be empty.
 */
export async function * readGcodeBatches (path: string, fromLine = 1): AsyncGenerator<GcodeFileCommand[]> {
  let fileLine = 0
  let offset = 0
  let carry = ''
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024, encoding: 'latin1' }) as AsyncIterable<string>) {
    const text = carry === '' ? chunk : carry + chunk
    const batch: GcodeFileCommand[] = []
    let start = 0
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      fileLine++
      offset += newline + 1 - start
      if (fileLine >= fromLine) {
        const command = gcodeCommand(text.slice(start, newline))
        if (command !== '') batch.push({ command, fileLine, byteEnd: offset })
      }
      start = newline + 1
    }
    carry = text.slice(start)
    yield batch
  }
  if (carry.length > 0) {
    fileLine++
    offset += carry.length
    const command = gcodeCommand(carry)
    if (fileLine >= fromLine && command !== '') yield [{ command, fileLine, byteEnd: offset }]
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
  for await (const batch of readGcodeBatches(path)) {
    for (const command of batch) {
      if (command.fileLine >= fromLine) {
        commands++
        if (startByte < 0) startByte = previousEnd
      }
      previousEnd = command.byteEnd
    }
  }
  return { commands, bytes: size, startByte: startByte < 0 ? size : startByte }
}
