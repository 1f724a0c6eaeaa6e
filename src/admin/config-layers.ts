import { ConfigError } from '../config/config-error.js'
import { expectObject } from '../config/fields.js'
import { parseConfig } from '../config/load-config.js'
import type { NodeConfig } from '../config/node-config.js'

/**
 * The fields an admin document may set: those a running node takes at once (as SIGHUP does). The others (name,
 * data dir, listen addresses, mesh key, HTTP, printers) need a restart and are not for a document to change.
 */
export const LIVE_FIELDS = ['offers', 'tags', 'tools', 'services', 'commands', 'trust', 'blobs', 'market'] as const

/**
 * The node's own config (its file and flags) and the admin's desired config laid over it. Either may change
 * (SIGHUP rereads the file; a document replaces the desired one); the node runs with both.
 */
export class ConfigLayers {
  private base: NodeConfig
  private desired?: Record<string, unknown>

  constructor (base: NodeConfig) {
    this.base = base
  }

  /** The config with `desired` over the node's own; throws a ConfigError naming the field it cannot take. */
  withDesired (desired: unknown): NodeConfig {
    const obj = expectObject(desired, '(config)')
    for (const key of Object.keys(obj)) {
      if (!(LIVE_FIELDS as readonly string[]).includes(key)) throw new ConfigError(key, `an admin config cannot set it (it takes: ${LIVE_FIELDS.join(', ')}); change the node's own file`)
    }
    // Relative paths in a document mean the node's data dir: the admin's machine has no say in this one's paths.
    return parseConfig(obj, this.base.dataDir, this.base)
  }

  /** Keeps the desired config the node now runs with. */
  adopt (desired: unknown): void {
    this.desired = expectObject(desired, '(config)')
  }

  /**
   * A new own config (SIGHUP) with the desired one still over it; when the desired one no longer fits the new
   * file, the file alone, and the error says why.
   */
  rebase (base: NodeConfig): { config: NodeConfig, error?: Error } {
    this.base = base
    if (this.desired == null) return { config: base }
    try {
      return { config: this.withDesired(this.desired) }
    } catch (err: any) {
      this.desired = undefined
      return { config: base, error: err }
    }
  }
}
