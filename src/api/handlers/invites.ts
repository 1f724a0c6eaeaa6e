import type { Invites } from '../../net/invites.js'
import type { MethodTable } from '../method-table.js'

/** `meshnode invite`: a new code for one machine to join this mesh. */
export function registerInvites (api: MethodTable, invites: Pick<Invites, 'create'>): void {
  api.register('invite', async (params) => invites.create(Number(params.expiresMs)))
}
