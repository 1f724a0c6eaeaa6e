/** A node config that cannot be used; `field` names the offending option, e.g. `printers[0].baud`. */
export class ConfigError extends Error {
  readonly field: string

  constructor (field: string, message: string) {
    super(`config field "${field}": ${message}`)
    this.name = 'ConfigError'
    this.field = field
  }
}
