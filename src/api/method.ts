import type { TSchema } from 'typebox'
import type { Caller, Scope } from './caller.js'

/** Who may call a method: a token scope, or only the machine's owner (token management, local paths). */
export type Access = Scope | 'owner'

/** How a method appears in the HTTP API; methods without one are reached only through the unix socket. */
export interface HttpRoute {
  verb: 'GET' | 'POST'
  /** Under /api/v1, with Fastify's `:param` segments taken from the method's params. */
  path: string
}

/**
 * One operation of the node: its parameters and result as schemas (types, validation and the OpenAPI document
 * all come from them), who may call it, and where HTTP finds it.
 */
export interface MethodSpec {
  name: string
  summary: string
  access: Access
  params: TSchema
  result: TSchema
  http?: HttpRoute
  /** The method acts on the job `params.id`: a submit-scoped token may call it only on a job it submitted. */
  ownJob?: boolean
}

export interface CallContext {
  /** Sends a progress event to the caller before the final result (for --follow and live progress). */
  emit(event: unknown): void
  /** Aborted when the caller goes away. */
  signal: AbortSignal
  caller: Caller
}

export type Handler = (params: any, ctx: CallContext) => Promise<unknown>
