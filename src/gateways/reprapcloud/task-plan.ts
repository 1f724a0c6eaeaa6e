import type { RelayInput, RelayRequest } from './relay-request.js'
import type { RelayService } from './services.js'

/** One fileInN as the task names it: `tasks/in/<id>-<n>.<ext>`, never the name the client sent. */
export interface PlannedInput extends RelayInput {
  n: number
  name: string
  path: string
}

/** What a relay request asks of the mesh, read as the relay's startTask read it, with every refusal kept. */
export interface TaskPlan {
  inputs: PlannedInput[]
  /** The model, design or G-code the mesh job is made from. */
  main?: PlannedInput
  /** Inputs after the first that have no prearg: files the design includes. */
  extra: PlannedInput[]
  /** The input sent with the service's prearg (slic3r's --load= config). */
  settings?: PlannedInput
  /** argN and nativeArgs that passed the service's prefixes (printrun's device path). */
  args: string[]
  /** Why nothing may run; empty when the plan stands. */
  errors: string[]
}

/** argN, nativeArgs items and inputs the relay's clients send are few; more is not a relay request. */
const MAX_ARGS = 16

export function planTask (id: string, request: RelayRequest, service: RelayService): TaskPlan {
  const plan: TaskPlan = { inputs: [], extra: [], args: [], errors: [] }
  // The relay reads fileIn0, fileIn1, ... up to the first gap, and so does the gateway.
  for (let n = 0; request.inputs.has(n); n++) {
    const input = request.inputs.get(n) as RelayInput
    const name = `${id}-${n}.${input.extension === '' ? service.inputExtension : input.extension}`
    const planned: PlannedInput = { ...input, n, name, path: `tasks/in/${name}` }
    plan.inputs.push(planned)
    const prearg = request.fields.get(`prearg${n}`)
    if (prearg == null || prearg === '') {
      if (plan.main == null) plan.main = planned
      else plan.extra.push(planned)
    } else if (service.prearg != null && prearg === service.prearg && plan.settings == null) {
      plan.settings = planned
    } else {
      plan.errors.push(`not approved prearg${n}: ${prearg.slice(0, 64)} (${service.prearg ?? 'none'}); wrong configuration or hacking attempt`)
    }
  }
  if (plan.main == null) plan.errors.push(plan.inputs.length === 0 ? 'no fileIn0: send the file to work on as fileIn0 (an upload or its content)' : 'every input has a prearg: none is the file to work on')
  const given = [...argFields(request), ...(request.fields.get('nativeArgs')?.split(',').filter(a => a !== '') ?? [])]
  if (given.length > MAX_ARGS) plan.errors.push(`at most ${MAX_ARGS} arguments`)
  for (const arg of given.slice(0, MAX_ARGS)) {
    if (service.argPrefixes.some(prefix => arg.startsWith(prefix) && /^[A-Za-z0-9/._-]{1,128}$/.test(arg))) plan.args.push(arg)
    else plan.errors.push(`not approved argument ${arg.slice(0, 64)}: ${service.name} takes ${service.argPrefixes.length === 0 ? 'no arguments' : `only ${service.argPrefixes.join(', ')}...`}`)
  }
  return plan
}

function argFields (request: RelayRequest): string[] {
  const args: string[] = []
  for (let n = 0; n <= MAX_ARGS; n++) {
    const arg = request.fields.get(`arg${n}`)
    if (arg == null) break
    args.push(arg)
  }
  return args
}
