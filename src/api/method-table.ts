import { Compile } from 'typebox/compile'
import { BadRequestError, UnknownMethodError } from './api-errors.js'
import { authorize, type SubmitterLookup } from './authorize.js'
import type { Caller } from './caller.js'
import type { CallContext, Handler, MethodSpec } from './method.js'

interface Entry {
  spec: MethodSpec
  /** Compiled at the method's first call: compiling all of them took 40-80 ms of every start, before ready. */
  check?: ReturnType<typeof Compile>
  handler?: Handler
}

/**
 * Every method the node offers, and the one way to call them: each transport (unix socket, HTTP) turns its
 * request into `call(name, params, ctx)`, which validates the params against the method's schema, authorizes
 * the caller, then runs the handler registered for it.
 */
export class MethodTable {
  private readonly entries = new Map<string, Entry>()
  private readonly submitterOf: SubmitterLookup

  constructor (specs: readonly MethodSpec[], submitterOf: SubmitterLookup = async () => undefined) {
    for (const spec of specs) this.entries.set(spec.name, { spec })
    this.submitterOf = submitterOf
  }

  /** Attaches the handler of a method the table declares; a method without a schema cannot be registered. */
  register (name: string, handler: Handler): void {
    const entry = this.entries.get(name)
    if (entry == null) throw new UnknownMethodError(name)
    entry.handler = handler
  }

  spec (name: string): MethodSpec | undefined {
    return this.entries.get(name)?.spec
  }

  specs (): MethodSpec[] {
    return [...this.entries.values()].map(e => e.spec)
  }

  /**
   * Whether the caller may call a method at all, before its params exist: an upload is refused this way before
   * its body is read. Methods on one job are checked with their params, by call().
   */
  async authorize (name: string, caller: Caller): Promise<void> {
    const entry = this.mustGet(name)
    await authorize({ ...entry.spec, ownJob: false }, caller, {}, this.submitterOf)
  }

  /** Checks params and caller without running the method (a stream checks before it answers 200). */
  async admit (name: string, params: unknown, caller: Caller): Promise<void> {
    const entry = this.mustGet(name)
    entry.check ??= Compile(entry.spec.params)
    if (!entry.check.Check(params)) throw badParams(entry.check.Errors(params))
    await authorize(entry.spec, caller, params, this.submitterOf)
  }

  async call (name: string, params: unknown, ctx: CallContext): Promise<unknown> {
    await this.admit(name, params, ctx.caller)
    return (this.mustGet(name).handler as Handler)(params, ctx)
  }

  private mustGet (name: string): Entry {
    const entry = this.entries.get(name)
    if (entry?.handler == null) throw new UnknownMethodError(name)
    return entry
  }
}

/** The first schema error as a message naming the field: `options.params: must be string`. */
function badParams (errors: ReadonlyArray<{ instancePath: string, message: string, params: Record<string, any> }>): BadRequestError {
  // An unknown field first: it is often the misspelling of the missing one.
  const first = errors.find(e => e.params.additionalProperties != null) ?? errors.find(e => e.params.requiredProperties != null) ?? errors[0]
  const path = first.instancePath.split('/').filter(p => p !== '')
  const named: string[] | undefined = first.params.additionalProperties ?? first.params.requiredProperties
  if (named != null) {
    const field = [...path, named[0]].join('.')
    return new BadRequestError(first.params.additionalProperties != null ? `unknown field ${field}` : `missing field ${field}`, field)
  }
  const field = path.join('.')
  return new BadRequestError(`${field === '' ? 'the parameters' : field}: ${first.message}`, field === '' ? undefined : field)
}
