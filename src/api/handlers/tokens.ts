import type { MethodTable } from '../method-table.js'
import type { TokenStore } from '../token-store.js'

/** Token management: only the machine's owner reaches these (the methods' access is "owner"). */
export function registerTokens (methods: MethodTable, tokens: TokenStore): void {
  methods.register('token.create', async (params) => tokens.create(params.name, params.scope))
  methods.register('token.list', async () => tokens.list())
  methods.register('token.revoke', async (params) => tokens.revoke(params.name))
}
