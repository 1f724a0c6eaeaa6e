/**
 * The relay's two reply formats of a flat record. Text: `key: value` lines sorted by key, each value on one line
 * (its client reads `^([^\s:]+): (\S.+)\s*$`). JSON: one object whose values are all strings, laid out as the
 * relay's meta2json wrote it; a list is `[ {...}, {...} ]`.
 */
export type FlatRecord = Record<string, string>

export function recordText (record: FlatRecord): string {
  return sortedEntries(record).map(([key, value]) => `${key}: ${value}\n`).join('')
}

export function recordJson (record: FlatRecord): string {
  return `{\n\t${sortedEntries(record).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(',\n\t')}\n}\n`
}

export function recordsText (records: FlatRecord[]): string {
  return records.map(recordText).join('')
}

export function recordsJson (records: FlatRecord[]): string {
  return `[\n${records.map(recordJson).join(',\n')}]\n`
}

function sortedEntries (record: FlatRecord): Array<[string, string]> {
  return Object.entries(record).map(([key, value]): [string, string] => [key, oneLine(value)]).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
}

/** A value on one line: a tool's multi-line message must not become lines of its own that a client reads as keys. */
function oneLine (value: string): string {
  return value.replace(/\s+/g, ' ').trim()
}
