import { ControlServer } from './control-server.js'
import { DoorSlot, type MovableDoor } from './door-slot.js'
import { EventLog, type EventSources } from './event-log.js'
import { registerDashboardMethods } from './handlers/dashboard.js'
import { registerEvents } from './handlers/events.js'
import { registerStoredJobs, type StoredJobsComponents } from './handlers/stored-jobs.js'
import { registerTokens } from './handlers/tokens.js'
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
  gateways: GatewayDoor[]
}

/**
 * A gateway as the node builds it: its name in the config, its address (undefined: off), and how to make one
 * (which may load the gateway's code: a node without the gateway never does).
 */
export interface GatewayDoor {
  name: string
  label: string
  listen?: string
  make: (listen: string) => MovableDoor | Promise<MovableDoor>
}

/** Where each listener should be, by name: `http` and the gateways' names; undefined closes one. */
export type DoorAddresses = Record<string, string | undefined>

/** The ways into a running node, open: the unix socket always, HTTP and the gateways when configured. */
export interface Doors {
  control: ControlServer
  /** `http` and each gateway by name. */
  slots: Map<string, DoorSlot>
  /** Moves, opens or closes each listener to match `addresses`; returns why any could not, one sentence each. */
  follow(addresses: DoorAddresses): Promise<string[]>
  /** Listeners that are not where the last reload asked, and why. */
  failures(): string[]
  stop(): Promise<void>
}

/**
 * Attaches the handlers that live in the API itself (uploaded jobs, outputs, tokens, events) to the method
 * table, then opens the unix socket and the HTTP listener onto it. Closed again if either cannot open.
 */
export async function openDoors (init: DoorsInit): Promise<Doors> {
  const { methods, tokens } = init
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
  const slots = new Map<string, DoorSlot>([
    // Fastify and its plugins (some 400 modules) load only when HTTP is on.
    ['http', new DoorSlot('the HTTP API', async listen => new (await import('./http/http-api.js')).HttpApi({ listen, methods, tokens, blobStore: init.blobStore }), init.httpListen)],
    ...init.gateways.map(g => [g.name, new DoorSlot(g.label, g.make, g.listen)] as const)
  ])
  try {
    // HTTP first: a busy port or a refused listener stops the start before the socket says the node is up.
    for (const slot of slots.values()) await slot.open()
    await control.start()
  } catch (err) {
    for (const slot of slots.values()) await slot.close().catch(() => {})
    unwatch()
    throw err
  }
  return {
    control,
    slots,
    async follow (addresses) {
      const failures: string[] = []
      for (const [name, slot] of slots) {
        const failure = await slot.follow(addresses[name])
        if (failure != null) failures.push(failure)
      }
      return failures
    },
    failures: () => [...slots.values()].flatMap(slot => slot.failure ?? []),
    async stop () {
      await control.stop()
      for (const slot of [...slots.values()].reverse()) await slot.close()
      unwatch()
    }
  }
}
