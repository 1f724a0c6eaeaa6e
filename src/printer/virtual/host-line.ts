import { gcodeChecksum } from '../checksum.js'

/** One line from the host as the firmware's line check sees it. */
export type HostLine =
  | { kind: 'numbered', lineNumber: number, command: string }
  | { kind: 'plain', command: string }
  | { kind: 'bad-checksum', lineNumber: number }
  | { kind: 'no-checksum', lineNumber: number }
  /** Carries a checksum but no line number: the host sent it numbered and the `N` got lost. */
  | { kind: 'no-line-number' }
  | { kind: 'empty' }

const NUMBERED = /^N(-?\d{1,15})(?!\d)/

/** Never throws: every string is one of the kinds above. */
export function parseHostLine (raw: string): HostLine {
  const line = raw.trim()
  if (line === '') return { kind: 'empty' }
  const star = line.lastIndexOf('*')
  const numbered = NUMBERED.exec(line)
  if (numbered === null) {
    if (star >= 0 || /^N\d/.test(line)) return { kind: 'no-line-number' }
    return { kind: 'plain', command: line }
  }
  const lineNumber = Number(numbered[1])
  if (star < 0) return { kind: 'no-checksum', lineNumber }
  const checksum = line.slice(star + 1).trim()
  if (!/^\d{1,3}$/.test(checksum) || Number(checksum) !== gcodeChecksum(line.slice(0, star))) {
    return { kind: 'bad-checksum', lineNumber }
  }
  const command = line.slice(numbered[0].length, star).trim()
  return command === '' ? { kind: 'empty' } : { kind: 'numbered', lineNumber, command }
}
