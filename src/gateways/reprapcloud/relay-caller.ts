import { authenticate } from '../../api/http/authenticate.js'
import type { Caller } from '../../api/caller.js'
import type { TokenStore } from '../../api/token-store.js'

/**
 * Who a relay client with no token is: it may submit, and kill only the tasks such clients made. The name
 * cannot be a token's (a token name has no ":"), so no token holder acts as it.
 */
export const RELAY_CLIENT: Caller = { kind: 'token', name: 'reprapcloud:client', scope: 'submit' }

export type RelayAdmission = { caller: Caller } | { refusal: string }

type Headers = Record<string, string | string[] | undefined>

/**
 * The relay had no authentication and its clients send none, so a request without a token comes in as
 * RELAY_CLIENT where the gateway is open to them: on loopback, or where the config says `open`. A token (the
 * HTTP API's, in `Authorization: Bearer`, `X-Api-Key` or `?token=`) is checked as the HTTP API checks it, and
 * a wrong one is refused.
 */
export function admitRelayClient (headers: Headers, query: unknown, tokens: TokenStore, openToClients: boolean): RelayAdmission {
  const inQuery = (query as Record<string, unknown> | undefined)?.token
  const given: Headers = typeof inQuery === 'string' && inQuery !== '' ? { ...headers, authorization: `Bearer ${inQuery}` } : headers
  if (given.authorization == null && given['x-api-key'] == null) {
    return openToClients ? { caller: RELAY_CLIENT } : { refusal: 'this RepRapCloud gateway needs a token (?token=TOKEN, or "Authorization: Bearer TOKEN"); its owner makes one with "meshnode token create NAME --scope submit"' }
  }
  const { caller, failure } = authenticate(given, tokens, false)
  return caller != null ? { caller } : { refusal: failure?.message ?? 'the token is not valid here' }
}
