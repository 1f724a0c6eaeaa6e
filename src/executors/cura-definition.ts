import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A printer definition squashed with everything it inherits, as cura-wasm-definitions resolves it. */
export interface CuraMachine {
  printer: { name: string, inherits?: string, metadata: unknown }
  extruders: Array<{ name: string, metadata: unknown }>
}

export class UnknownCuraMachineError extends Error {
  constructor (machine: string) {
    super(`cura-wasm-definitions has no printer definition ${JSON.stringify(machine)}`)
    this.name = 'UnknownCuraMachineError'
  }
}

/** Loaded on first use: the definitions bundle is over a megabyte. */
export function curaMachine (machine: string): CuraMachine {
  const { resolveDefinition } = require('cura-wasm-definitions') as { resolveDefinition(id: string): CuraMachine }
  try {
    return resolveDefinition(machine)
  } catch {
    throw new UnknownCuraMachineError(machine)
  }
}

/** The base definitions every Cura printer inherits from, as files CuraEngine can load. */
export function curaBaseDefinitionPath (name: 'fdmprinter' | 'fdmextruder'): string {
  return require.resolve(`cura-wasm/src/definitions/${name}.def.json`)
}
