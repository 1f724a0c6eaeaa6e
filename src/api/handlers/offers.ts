import { loadProfiles } from '../../executors/profiles.js'
import type { CapabilityService } from '../../capabilities/capability-service.js'
import type { MethodTable } from '../method-table.js'

export interface OffersComponents {
  capabilities: Pick<CapabilityService, 'local' | 'peers'>
  /** Where this node's own slicer profiles are, beside the bundled ones. */
  profileDirs: string[]
}

/**
 * The `offers` method: what a job submitted here could use, as the mesh offers it now: the stages some peer
 * offers, this node's slicer profiles (a job names one; the bundled ones every peer has), the materials
 * loaded and the printers. A submit form builds its pickers from it.
 */
export function registerOffers (api: MethodTable, { capabilities, profileDirs }: OffersComponents): void {
  const profiles = loadProfiles(profileDirs)
  // Read once, at start: the profiles a job is sliced with are the ones this node started with.
  profiles.catch(() => {})
  api.register('offers', async () => {
    const self = capabilities.local()
    const records = [{ ...self, peerName: self.name }, ...capabilities.peers().map(p => ({ ...p.record, peerName: p.name }))]
    const printers = records.flatMap(r => r.printers.map(p => ({ name: p.name, peerName: r.peerName, material: p.material, state: p.state })))
    return {
      stages: [...new Set(records.flatMap(r => r.offers))].sort(),
      profiles: (await profiles).summary(),
      materials: [...new Set(printers.map(p => p.material).filter(m => m !== ''))].sort(),
      printers
    }
  })
}
