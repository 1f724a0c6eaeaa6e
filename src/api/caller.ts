/**
 * What a token may do. Each scope includes the ones before it: read sees everything, submit also creates and
 * cancels its own jobs, operator also commands printers and cancels any job.
 */
export const SCOPES = ['read', 'submit', 'operator'] as const
export type Scope = typeof SCOPES[number]

/**
 * Who is calling: the machine's owner (the unix socket, which only the owner can open), the holder of a named
 * token (HTTP), or a process on this machine over a loopback HTTP listener while the node has no tokens at all
 * (it may do what an operator token may). Every method call carries one.
 */
export type Caller =
  | { kind: 'owner' }
  | { kind: 'token', name: string, scope: Scope }
  | { kind: 'loopback' }

export const OWNER: Caller = { kind: 'owner' }

export function isScope (value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value)
}

/** Who a job is recorded as submitted by: a token's name, or undefined for the owner. */
export function submitterOf (caller: Caller): string | undefined {
  return caller.kind === 'token' ? caller.name : undefined
}
