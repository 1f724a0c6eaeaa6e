import { ConfigError } from '../config/config-error.js'
import { expectObject } from '../config/fields.js'
import { parseConfig } from '../config/load-config.js'
import type { NodeConfig } from '../config/node-config.js'
import type { ServiceConfig } from '../config/service-config.js'

/**
 * The fields an admin document may set: those a running node takes at once (as SIGHUP does). The others (name,
 * data dir, listen addresses, mesh key, HTTP, printers) need a restart and are not for a document to change.
 */
export const LIVE_FIELDS = ['offers', 'tags', 'tools', 'services', 'commands', 'trust', 'blobs', 'market'] as const

/**
 * The node's own config (its file and flags), the admin's desired config laid over it, and the services admins
 * pushed beside its own. Each may change (SIGHUP rereads the file; a document replaces its layer); the node
 * runs with all three.
 */
export class ConfigLayers {
  private base: NodeConfig
  private desired?: Record<string, unknown>
  private services: ServiceConfig[] = []

  constructor (base: NodeConfig) {
    this.base = base
  }

  /** The config with `desired` over the node's own; throws a ConfigError naming the field it cannot take. */
  withDesired (desired: unknown): NodeConfig {
    return this.compose(checkDesired(desired), this.services)
  }

  /** Keeps the desired config the node now runs with. */
  adopt (desired: unknown): void {
    this.desired = checkDesired(desired)
  }

  /** The config with these admin services beside the node's own; a name the node's config uses is refused. */
  withServices (services: ServiceConfig[]): NodeConfig {
    return this.compose(this.desired, services)
  }

  adoptServices (services: ServiceConfig[]): void {
    this.services = services
  }

  /**
   * A new own config (SIGHUP) with the admin's layers still over it; when they no longer fit the new file, the
   * file alone, and the error says why.
   */
  rebase (base: NodeConfig): { config: NodeConfig, error?: Error } {
    this.base = base
    try {
      return { config: this.compose(this.desired, this.services) }
    } catch (err: any) {
      this.desired = undefined
      this.services = []
      return { config: base, error: err }
    }
  }

  private compose (desired: Record<string, unknown> | undefined, services: ServiceConfig[]): NodeConfig {
    // Relative paths in a document mean the node's data dir: the admin's machine has no say in this one's paths.
    const config = desired == null ? this.base : parseConfig(desired, this.base.dataDir, this.base)
    const taken = services.find(s => config.services.some(own => own.name === s.name))
    if (taken != null) throw new ConfigError('services', `"${taken.name}" is a service of this node's own config; an admin service cannot replace it`)
    return services.length === 0 ? config : { ...config, services: [...config.services, ...services] }
  }
}

function checkDesired (desired: unknown): Record<string, unknown> {
  const obj = expectObject(desired, '(config)')
  for (const key of Object.keys(obj)) {
    if (!(LIVE_FIELDS as readonly string[]).includes(key)) throw new ConfigError(key, `an admin config cannot set it (it takes: ${LIVE_FIELDS.join(', ')}); change the node's own file`)
  }
  return obj
}
