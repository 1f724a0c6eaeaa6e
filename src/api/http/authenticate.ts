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
    if (loopback && tokens.size === 0) {
      if (fromThisMachine(headers)) return { caller: { kind: 'loopback' } }
      return { failure: new UnauthorizedError(`a request sent by another site's page (Origin ${String(single(headers.origin))}) or to a host name that is not loopback (Host ${String(single(headers.host))}) needs a token, even on loopback`) }
    }
    return { failure: new UnauthorizedError('this API needs a token: send "Authorization: Bearer TOKEN" (the node\'s owner makes one with "meshnode token create NAME --scope read")') }
  }
  const token = tokens.verify(presented)
  if (token == null) return { failure: new UnauthorizedError('the token is not valid here (revoked, mistyped, or made on another node)') }
  return { caller: { kind: 'token', name: token.name, scope: token.scope } }
}

/** Host names a browser on this machine uses for a loopback listener. */
const LOOPBACK_HOST = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(?::\d{1,5})?$/i

/**
 * A request without a token is let in on loopback only when a browser could not have been tricked into
 * sending it: its Host is a loopback name (not a rebound DNS name), and if it carries an Origin (a page
 * sent it), that is the listener's own, the dashboard. A page of another site cannot clear a bed or submit a
 * job through the visitor's browser, though forms and fetches it sends reach 127.0.0.1.
 */
function fromThisMachine (headers: Record<string, string | string[] | undefined>): boolean {
  const host = single(headers.host)
  if (host != null && !LOOPBACK_HOST.test(host)) return false
  const origin = single(headers.origin)
  return origin == null || (host != null && origin.toLowerCase() === `http://${host.toLowerCase()}`)
}

function bearer (header: string | string[] | undefined): string | undefined {
  const value = single(header)
  const match = value == null ? null : /^Bearer\s+(\S+)\s*$/i.exec(value)
  return match?.[1]
}

function single (header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header
}
