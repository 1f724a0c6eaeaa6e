import type { MeshNode } from './mesh-node.js'

/** `meshnode invite`: a new code for one machine to join this mesh. */
export function registerInviteApi (node: MeshNode): void {
  node.api.register('invite', async (params) => node.invites.create(Number(params.expiresMs)))
}
