import { compareQueueKeys, queueKeyOfSpec } from '../../jobs/print-queue-order.js'
import { printerRefusal, printRequirements } from '../../printer/printer-refusal.js'
import type { CapabilityService } from '../../capabilities/capability-service.js'
import type { WaitingPrints } from '../../compute/waiting-prints.js'
import type { PrintDesk } from '../../printer/print-desk.js'
import type { Coordinator } from '../../requester/coordinator.js'
import type { MethodTable } from '../method-table.js'
import type { Printer } from '../../../protocols/capability.js'
import type { StageSpec } from '../../../protocols/market.js'

/** The mesh's print queue: the prints waiting for a printer, in the order printers take them, and the steering of one's own. */
export interface QueueComponents {
  jobs: Pick<Coordinator, 'waitingPrints' | 'moveInQueue' | 'holdInQueue'>
  /** Other requesters' prints waiting, as their announcements said. */
  waitingPrints: Pick<WaitingPrints, 'list'>
  printers: Pick<PrintDesk, 'records'>
  capabilities: Pick<CapabilityService, 'local' | 'peers'>
}

export function registerQueue (api: MethodTable, parts: QueueComponents): void {
  const { jobs } = parts

  api.register('queue', async () => {
    const byStage = new Map<string, StageSpec>()
    for (const spec of parts.waitingPrints.list()) byStage.set(`${spec.jobId}:${spec.index}`, spec)
    // This node's own, as its job store has them: its announcements do not come back to it.
    for (const spec of await jobs.waitingPrints()) byStage.set(`${spec.jobId}:${spec.index}`, spec)
    const printers = meshPrinters(parts)
    const now = Date.now()
    return [...byStage.values()]
      .sort((a, b) => compareQueueKeys(queueKeyOfSpec(a), queueKeyOfSpec(b)))
      .map((spec, i) => {
        const [priority, pin] = (spec.priority ?? 'normal').split('@')
        const verdicts = printers.map(p => ({ printer: `${p.peerName}/${p.name}`, state: p.state, reason: fitRefusal(p, spec) }))
        return {
          position: i + 1,
          jobId: spec.jobId,
          stage: spec.index,
          requester: spec.requesterName,
          file: spec.input?.name ?? '',
          material: spec.material !== '' ? spec.material : spec.input?.gcode?.material ?? '',
          priority,
          ...(pin === undefined ? {} : { moved: pin }),
          held: spec.held === true,
          ageMs: Math.max(0, now - (spec.createdAt ?? now)),
          couldTake: verdicts.filter(v => v.reason === null).map(v => ({ printer: v.printer, state: v.state })),
          cannot: verdicts.flatMap(v => v.reason === null ? [] : [{ printer: v.printer, reason: v.reason }])
        }
      })
  })

  api.register('queue.move', async (params) => jobs.moveInQueue(String(params.id), params.to === 'bottom' ? 'bottom' : 'top'))
  api.register('queue.hold', async (params) => jobs.holdInQueue(String(params.id), true))
  api.register('queue.release', async (params) => jobs.holdInQueue(String(params.id), false))
}

/** Every printer in the mesh with the name of its peer, this node's first. */
function meshPrinters ({ printers, capabilities }: Pick<QueueComponents, 'printers' | 'capabilities'>): Array<Printer & { peerName: string }> {
  const self = capabilities.local()
  return [
    ...printers.records().map(p => ({ ...p, peerName: self.name })),
    ...capabilities.peers().flatMap(peer => peer.record.printers.map(p => ({ ...p, peerName: peer.name })))
  ]
}

/** Why this printer can never take the print as it is loaded now; null when it fits (it may still be busy). */
function fitRefusal (printer: Printer, spec: StageSpec): string | null {
  if (spec.printer !== '' && spec.printer !== printer.name) return `the job asks for printer ${spec.printer}`
  return printerRefusal({ material: printer.material, nozzleMm: printer.nozzleMm, bed: { x: printer.bedXMm, y: printer.bedYMm, z: printer.bedZMm } }, printRequirements(spec.material, spec.input?.gcode))
}
