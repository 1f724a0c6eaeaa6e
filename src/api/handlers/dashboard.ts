import { parseScadParameters } from '../scad-customizer.js'
import type { TemperatureHistory } from '../../printer/temperature-history.js'
import type { Caller } from '../caller.js'
import type { MethodTable } from '../method-table.js'

/** No printer of that name on this node. */
export class NoSuchPrinterError extends Error {
  constructor (name: string) {
    super(`no printer named ${name} on this node (a printer's history is kept by the node it is plugged into)`)
    this.name = 'NoSuchPrinterError'
  }
}

/**
 * What a dashboard asks that is no job and no command: who it is calling as, a printer's recent temperatures,
 * and the Customizer parameters of a design.
 */
export function registerDashboardMethods (methods: MethodTable, history: TemperatureHistory): void {
  methods.register('whoami', async (_params, ctx) => whoAmI(ctx.caller))
  methods.register('printer.temperatures', async (params) => {
    const samples = history.of(params.name)
    if (samples == null) throw new NoSuchPrinterError(params.name)
    return { name: params.name, samples }
  })
  methods.register('scad.parameters', async (params) => ({ parameters: parseScadParameters(params.source) }))
}

function whoAmI (caller: Caller): { kind: string, name?: string, scope: string } {
  if (caller.kind === 'token') return { kind: 'token', name: caller.name, scope: caller.scope }
  // A loopback caller on a node without tokens may do what an operator may (see authorize()).
  return { kind: caller.kind, scope: caller.kind === 'owner' ? 'owner' : 'operator' }
}
