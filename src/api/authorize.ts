import { SCOPES, type Caller } from './caller.js'
import { ForbiddenError } from './api-errors.js'
import type { MethodSpec } from './method.js'

/** Who submitted a job, as recorded when it was created: a token's name, or undefined for the owner. */
export type SubmitterLookup = (jobId: string) => Promise<string | undefined>

/**
 * The one authorization check, for every transport: the owner may do anything; a token needs the method's
 * scope or a higher one, and with the submit scope acts only on jobs it submitted itself; a loopback caller
 * (no tokens exist) may do what an operator may.
 */
export async function authorize (spec: MethodSpec, caller: Caller, params: any, submitterOf: SubmitterLookup): Promise<void> {
  if (caller.kind === 'owner') return
  if (spec.access === 'owner') throw new ForbiddenError(`${spec.name} is only for the machine's owner (the meshnode CLI on it)`)
  if (caller.kind === 'loopback') return
  if (SCOPES.indexOf(caller.scope) < SCOPES.indexOf(spec.access)) {
    throw new ForbiddenError(`token "${caller.name}" has scope ${caller.scope}; ${spec.name} needs ${spec.access}`)
  }
  if (spec.ownJob === true && caller.scope === 'submit' && await submitterOf(String(params.id)) !== caller.name) {
    throw new ForbiddenError(`token "${caller.name}" may ${spec.name} only jobs it submitted; job ${String(params.id)} is not one of them`)
  }
}
