/** What M115 told us about the firmware. */
export interface FirmwareInfo {
  name: string
  /** Every `Cap:NAME:0|1` line, e.g. `{ ADVANCED_OK: true, AUTOREPORT_TEMP: true, EMERGENCY_PARSER: false }`. */
  capabilities: Record<string, boolean>
  /** All the `KEY:value` fields of the main M115 line (FIRMWARE_NAME, MACHINE_TYPE, EXTRUDER_COUNT, ...). */
  fields: Record<string, string>
}

const FIELD_KEY = /([A-Z][A-Z0-9_]*):/g

/** Parses the lines a firmware sent in answer to M115 (the `FIRMWARE_NAME:...` line and the `Cap:` lines). */
export function parseFirmwareInfo (lines: readonly string[]): FirmwareInfo {
  const info: FirmwareInfo = { name: 'unknown', capabilities: {}, fields: {} }
  for (const raw of lines) {
    const line = raw.trim()
    const cap = /^Cap:([A-Za-z0-9_]+):([01])$/.exec(line)
    if (cap !== null) {
      info.capabilities[cap[1].toUpperCase()] = cap[2] === '1'
      continue
    }
    if (line.includes('FIRMWARE_NAME:')) Object.assign(info.fields, splitFields(line))
  }
  if (info.fields.FIRMWARE_NAME !== undefined && info.fields.FIRMWARE_NAME !== '') info.name = info.fields.FIRMWARE_NAME
  return info
}

/** Values may hold spaces (`FIRMWARE_NAME:Marlin 2.1.2 (Jan 1 2024)`), so a value runs to the next `KEY:`. */
function splitFields (line: string): Record<string, string> {
  const keys = [...line.matchAll(FIELD_KEY)]
  const fields: Record<string, string> = {}
  keys.forEach((match, i) => {
    const start = (match.index ?? 0) + match[0].length
    const end = i + 1 < keys.length ? keys[i + 1].index ?? line.length : line.length
    fields[match[1]] = line.slice(start, end).trim()
  })
  return fields
}
