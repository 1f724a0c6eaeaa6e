import type { EventLog } from '../event-log.js'
import type { MethodTable } from '../method-table.js'

/**
 * The event subscription: the held events after `after`, then each new one as it happens, until the caller
 * goes away.
 */
export function registerEvents (methods: MethodTable, log: EventLog): void {
  methods.register('events', async (params, ctx) => {
    // Both at once (no await between): no event can fall between what was held and the subscription.
    for (const event of log.since(params.after ?? 0)) ctx.emit(event)
    const unsubscribe = log.subscribe(event => { ctx.emit(event) })
    await new Promise<void>(resolve => {
      if (ctx.signal.aborted) resolve()
      ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
    unsubscribe()
    return null
  })
}
