import { ControlServer } from './control-server.js'
import { EventLog, type EventSources } from './event-log.js'
import { registerDashboardMethods } from './handlers/dashboard.js'
import { registerEvents } from './handlers/events.js'
import { registerStoredJobs, type StoredJobsComponents } from './handlers/stored-jobs.js'
import { registerTokens } from './handlers/tokens.js'
import { HttpApi } from './http/http-api.js'
import type { TokenStore } from './token-store.js'
import { TemperatureHistory } from '../printer/temperature-history.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { MethodTable } from './method-table.js'

export interface DoorsInit extends Omit<StoredJobsComponents, 'blobStore'> {
  dataDir: string
  /** HOST:PORT of the HTTP API, or undefined for none. */
  httpListen?: string
  methods: MethodTable
  blobStore: BlobStore
  events: EventSources
  tokens: TokenStore
  /** Doors for foreign clients (the gateways), opened with HTTP before the socket says the node is up. */
  gateways: Door[]
}

/** A listener that can be opened and closed, such as a gateway. */
export interface Door {
  start(): Promise<unknown>
  stop(): Promise<void>
}

/** The ways into a running node, open: the unix socket always, HTTP when configured. */
export interface Doors {
  control: ControlServer
  http?: HttpApi
  stop(): Promise<void>
}

/**
 * Attaches the handlers that live in the API itself (uploaded jobs, outputs, tokens, events) to the method
 * table, then opens the unix socket and the HTTP listener onto it. Closed again if either cannot open.
 */
export async function openDoors (init: DoorsInit): Promise<Doors> {
  const { methods, tokens, gateways } = init
  const log = new EventLog()
  const history = new TemperatureHistory()
  const unwatchLog = log.watch(init.events)
  const unwatchHistory = history.watch(init.events.printers)
  const unwatch = (): void => { unwatchLog(); unwatchHistory() }
  registerStoredJobs(methods, init)
  registerTokens(methods, tokens)
  registerEvents(methods, log)
  registerDashboardMethods(methods, history)
  const control = new ControlServer(init.dataDir, methods)
  const http = init.httpListen == null ? undefined : new HttpApi({ listen: init.httpListen, methods, tokens, blobStore: init.blobStore })
  try {
    // HTTP first: a busy port or a refused listener stops the start before the socket says the node is up.
    await http?.start()
    for (const gateway of gateways) await gateway.start()
    await control.start()
  } catch (err) {
    await http?.stop().catch(() => {})
    for (const gateway of gateways) await gateway.stop().catch(() => {})
    unwatch()
    throw err
  }
  return {
    control,
    http,
    async stop () {
      await control.stop()
      for (const gateway of gateways) await gateway.stop()
      await http?.stop()
      unwatch()
    }
  }
}
