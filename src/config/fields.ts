import { ConfigError } from './config-error.js'

/** Small validators shared by every config section; each names the field it rejects. */

export function expectObject (raw: unknown, field: string): Record<string, unknown> {
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(field, 'must be an object')
  return raw as Record<string, unknown>
}

export function rejectUnknown (obj: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ConfigError(join(field, key), `unknown field (known: ${known.join(', ')})`)
  }
}

export function optString (obj: Record<string, unknown>, key: string, field: string, maxLength = 4096): string | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || value.includes('\0')) {
    throw new ConfigError(join(field, key), `must be a non-empty string of at most ${maxLength} characters`)
  }
  return value
}

export function optBoolean (obj: Record<string, unknown>, key: string, field: string): boolean | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new ConfigError(join(field, key), 'must be true or false')
  return value
}

export function optNumber (obj: Record<string, unknown>, key: string, field: string, min: number, max: number): number | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(join(field, key), `must be a number from ${min} to ${max}`)
  }
  return value
}

/** A whole number: limits handed to the kernel as they are. */
export function optInteger (obj: Record<string, unknown>, key: string, field: string, min: number, max: number): number | undefined {
  const value = optNumber(obj, key, field, min, max)
  if (value !== undefined && !Number.isInteger(value)) throw new ConfigError(join(field, key), `must be a whole number from ${min} to ${max}`)
  return value
}

export function optStringArray (obj: Record<string, unknown>, key: string, field: string, maxItems = 256): string[] | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length > maxItems) throw new ConfigError(join(field, key), `must be a list of at most ${maxItems} strings`)
  return value.map((item, i) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > 4096) throw new ConfigError(`${join(field, key)}[${i}]`, 'must be a non-empty string')
    return item
  })
}

export function optArray (obj: Record<string, unknown>, key: string, field: string, maxItems = 256): unknown[] | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length > maxItems) throw new ConfigError(join(field, key), `must be a list of at most ${maxItems} entries`)
  return value
}

export function join (field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`
}
