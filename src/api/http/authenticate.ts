import { UnauthorizedError } from '../api-errors.js'
import type { Caller } from '../caller.js'
import type { TokenStore } from '../token-store.js'

export interface Authentication {
  caller?: Caller
  failure?: UnauthorizedError
}

/**
 * Who an HTTP request comes from: the token in `Authorization: Bearer` (or `X-Api-Key`, as OctoPrint's clients
 * send it). Without one, a loopback listener on a node that has no tokens lets the request in as a local
 * process; once any token exists, or on any other listener, every request needs one.
 */
export function authenticate (headers: Record<string, string | string[] | undefined>, tokens: TokenStore, loopback: boolean): Authentication {
  const presented = bearer(headers.authorization) ?? single(headers['x-api-key'])
  if (presented == null) {
    if (loopback && tokens.size === 0) return { caller: { kind: 'loopback' } }
    return { failure: new UnauthorizedError('this API needs a token: send "Authorization: Bearer TOKEN" (the node\'s owner makes one with "meshnode token create NAME --scope read")') }
  }
  const token = tokens.verify(presented)
  if (token == null) return { failure: new UnauthorizedError('the token is not valid here (revoked, mistyped, or made on another node)') }
  return { caller: { kind: 'token', name: token.name, scope: token.scope } }
}

function bearer (header: string | string[] | undefined): string | undefined {
  const value = single(header)
  const match = value == null ? null : /^Bearer\s+(\S+)\s*$/i.exec(value)
  return match?.[1]
}

function single (header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header
}
