import { loadProfiles } from '../executors/profiles.js'
import type { MeshNode } from './mesh-node.js'

/**
 * The `offers` method: what a job submitted here could use, as the mesh offers it now: the stages some peer
 * offers, this node's slicer profiles (a job names one; the bundled ones every peer has), the materials
 * loaded and the printers. A submit form builds its pickers from it.
 */
export function registerOffersApi (node: Pick<MeshNode, 'api' | 'capabilities' | 'config'>): void {
  const profiles = loadProfiles(node.config.tools.profileDirs)
  // Read once, at start: the profiles a job is sliced with are the ones this node started with.
  profiles.catch(() => {})
  node.api.register('offers', async () => {
    const self = node.capabilities.local()
    const records = [{ ...self, peerName: self.name }, ...node.capabilities.peers().map(p => ({ ...p.record, peerName: p.name }))]
    const printers = records.flatMap(r => r.printers.map(p => ({ name: p.name, peerName: r.peerName, material: p.material, state: p.state })))
    return {
      stages: [...new Set(records.flatMap(r => r.offers))].sort(),
      profiles: (await profiles).summary(),
      materials: [...new Set(printers.map(p => p.material).filter(m => m !== ''))].sort(),
      printers
    }
  })
}
