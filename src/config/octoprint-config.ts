import { ConfigError } from './config-error.js'
import { expectObject, join, optString, rejectUnknown } from './fields.js'
import { checkListenAddress } from './listen-address.js'

/** What a key's uploads default to: the gateway's client (a slicer) cannot say which mesh printer it means. */
export interface KeyDefaults {
  printer?: string
  material?: string
  profile?: string
}

/** `gateways.octoprint`: where OctoPrint's clients reach the node, and each key's defaults by token name. */
export interface OctoPrintConfig {
  /** HOST:PORT */
  listen: string
  keys: Record<string, KeyDefaults>
}

const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/
const MAX_KEYS = 256

/** `{ listen: "HOST:PORT", keys: { TOKEN_NAME: { printer, material, profile } } }`; `listen: null` turns it off. */
export function parseOctoPrintConfig (raw: unknown, field: string): OctoPrintConfig | undefined {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['listen', 'keys'], field)
  if (obj.listen === null) return undefined
  const listen = optString(obj, 'listen', field, 64)
  if (listen === undefined) throw new ConfigError(join(field, 'listen'), 'is required: HOST:PORT where slicers reach the gateway, e.g. 0.0.0.0:5000 (or null for none)')
  return { listen: checkListenAddress(listen, join(field, 'listen')), keys: obj.keys === undefined ? {} : parseKeys(obj.keys, join(field, 'keys')) }
}

function parseKeys (raw: unknown, field: string): Record<string, KeyDefaults> {
  const obj = expectObject(raw, field)
  const names = Object.keys(obj)
  if (names.length > MAX_KEYS) throw new ConfigError(field, `at most ${MAX_KEYS} keys`)
  const keys: Record<string, KeyDefaults> = {}
  for (const name of names) {
    const keyField = join(field, name)
    if (!TOKEN_NAME.test(name)) throw new ConfigError(keyField, 'is not a token name (letters, digits, ".", "_" or "-", as "meshnode token create NAME" takes)')
    const entry = expectObject(obj[name], keyField)
    rejectUnknown(entry, ['printer', 'material', 'profile'], keyField)
    const defaults: KeyDefaults = {}
    for (const option of ['printer', 'material', 'profile'] as const) {
      const value = optString(entry, option, keyField, 128)
      if (value !== undefined) defaults[option] = value
    }
    keys[name] = defaults
  }
  return keys
}
