import { UnauthorizedError } from '../../api/api-errors.js'
import type { Caller } from '../../api/caller.js'
import type { TokenStore } from '../../api/token-store.js'
import type { KeyDefaults } from '../../config/octoprint-config.js'
import type { FastifyRequest } from 'fastify'

/** Who an OctoPrint client is: the meshnode token it sends as its API key, and that key's defaults. */
export interface GatewayKey {
  caller: Caller & { kind: 'token' }
  defaults: KeyDefaults
}

declare module 'fastify' {
  interface FastifyRequest {
    octoprintKey?: GatewayKey
  }
}

/**
 * The key an OctoPrint client sends: `X-Api-Key` (every slicer), `Authorization: Bearer`, or the `apikey` query
 * parameter OctoPrint also takes. A missing or unknown key is OctoPrint's 401; there is no keyless access, as
 * OctoPrint has none for its API either.
 */
export function authenticateKey (request: FastifyRequest, tokens: Pick<TokenStore, 'verify'>, keys: () => Record<string, KeyDefaults>): GatewayKey {
  const presented = single(request.headers['x-api-key']) ?? bearer(single(request.headers.authorization)) ?? queryKey(request.query)
  if (presented == null || presented === '') throw new UnauthorizedError('this OctoPrint gateway needs an API key: a meshnode token ("meshnode token create NAME --scope submit") in the X-Api-Key header')
  const token = tokens.verify(presented)
  if (token == null) throw new UnauthorizedError('invalid API key: not a token of this node (revoked, mistyped, or made on another node)')
  return { caller: { kind: 'token', name: token.name, scope: token.scope }, defaults: keys()[token.name] ?? {} }
}

/** The key the request authenticated with (set by the gateway's onRequest hook). */
export function keyOf (request: FastifyRequest): GatewayKey {
  if (request.octoprintKey == null) throw new UnauthorizedError('the request carries no API key')
  return request.octoprintKey
}

function single (header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header
}

function bearer (value: string | undefined): string | undefined {
  return value == null ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1]
}

function queryKey (query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | null)?.apikey
  return typeof value === 'string' ? value : undefined
}
