import { parseTemperatures, type TemperatureReading } from './temperatures.js'

/** One line from the firmware, classified the way the sender acts on it. */
export type FirmwareResponse =
  | { kind: 'ok', lineNumber?: number, plannerFree?: number, bufferFree?: number, temperatures: TemperatureReading | null }
  | { kind: 'resend', lineNumber: number }
  | { kind: 'busy' }
  | { kind: 'start' }
  /** An error about the link itself (checksum, line number); a resend request follows it. */
  | { kind: 'link-error', message: string }
  /** Any other error: the printer has stopped or is about to. */
  | { kind: 'fatal-error', message: string }
  | { kind: 'temperatures', temperatures: TemperatureReading }
  | { kind: 'other', text: string }

const LINK_ERROR = /checksum|line ?number|last line|format error|no line number|expected line/i
const RESEND = /^(?:resend|rs)\s*:?\s*N?:?\s*(\d+)/i
const ADVANCED_OK = /\b([NPB])(\d+)\b/g

const PLAIN_OK: FirmwareResponse = Object.freeze({ kind: 'ok', temperatures: null })

/** Never throws: whatever a noisy link delivers is at worst `other`. */
export function parseFirmwareResponse (rawLine: string): FirmwareResponse {
  if (rawLine === 'ok') return PLAIN_OK
  if (rawLine.startsWith('ok ')) return parseAdvancedOk(rawLine) ?? parseOk(rawLine.trim())
  const line = rawLine.trim()
  if (line === 'ok' || line.startsWith('ok ')) return parseOk(line)
  const resend = RESEND.exec(line)
  if (resend !== null) return { kind: 'resend', lineNumber: Number(resend[1]) }
  if (/^(echo:)?busy:/i.test(line)) return { kind: 'busy' }
  if (line === 'start') return { kind: 'start' }
  if (/^error:/i.test(line) || line.startsWith('!!')) {
    const message = line.replace(/^error:\s*|^!!\s*/i, '')
    return LINK_ERROR.test(message) ? { kind: 'link-error', message } : { kind: 'fatal-error', message }
  }
  const temperatures = parseTemperatures(line)
  if (temperatures !== null) return { kind: 'temperatures', temperatures }
  return { kind: 'other', text: line }
}

/**
 * The answer to nearly every line of a print, `ok N.. P.. B..`, read without regular expressions;
 * undefined for any other shape (temperatures, other words), which `parseOk` reads.
 */
function parseAdvancedOk (line: string): FirmwareResponse | undefined {
  const ok: FirmwareResponse & { kind: 'ok' } = { kind: 'ok', temperatures: null }
  let i = 3
  while (i < line.length) {
    const key = line.charCodeAt(i)
    let value = 0
    let end = i + 1
    for (let c = line.charCodeAt(end); c >= 48 && c <= 57; c = line.charCodeAt(++end)) value = value * 10 + c - 48
    const separator = end === line.length ? 32 : line.charCodeAt(end)
    if (end === i + 1 || end - i > 10 || separator !== 32) return undefined
    if (key === 78) ok.lineNumber = value
    else if (key === 80) ok.plannerFree = value
    else if (key === 66) ok.bufferFree = value
    else return undefined
    i = end + 1
  }
  return ok
}

function parseOk (line: string): FirmwareResponse {
  const rest = line.slice(2)
  const ok: FirmwareResponse & { kind: 'ok' } = { kind: 'ok', temperatures: parseTemperatures(rest) }
  for (const [, key, value] of rest.matchAll(ADVANCED_OK)) {
    const n = Number(value)
    if (!Number.isSafeInteger(n)) continue
    if (key === 'N') ok.lineNumber = n
    if (key === 'P') ok.plannerFree = n
    if (key === 'B') ok.bufferFree = n
  }
  return ok
}
