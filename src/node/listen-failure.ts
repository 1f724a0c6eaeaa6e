import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'

/** A listen address this node cannot have: a user reads which one, why, and what to change. */
export class ListenAddressError extends Error {
  readonly address: string

  constructor (address: string, why: string) {
    super(`cannot listen on ${address}: ${why}; choose another with --listen (or "listen" in the config), e.g. ${suggestion(address)}`)
    this.name = 'ListenAddressError'
    this.address = address
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another program, or another meshnode, listens on it)',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'not allowed (ports below 1024 need privileges)'
}

/**
 * libp2p says only that "some configured addresses failed", with each one's stack trace in its message. The
 * start's error names the address instead: each TCP address is tried again with node:net (libp2p has closed
 * what it opened by now), and the first one refused is the one reported. Other errors pass through.
 */
export async function explainListenFailure (err: unknown, listen: readonly string[]): Promise<unknown> {
  if (!(err instanceof Error) || err.name !== 'UnsupportedListenAddressesError') return err
  for (const address of listen) {
    const why = await refusal(address)
    if (why != null) return new ListenAddressError(address, why)
  }
  // Free again by now (a race with another program): libp2p's own first line for each address, without stacks.
  const lines = err.message.split('\n').filter(line => /^\s+\/\S+: /.test(line)).map(line => line.trim())
  return new ListenAddressError(listen.join(', '), lines.join('; ') || 'libp2p could not listen on it')
}

/** Why binding the TCP address of `address` fails now, or undefined when it works (or is not ip/tcp). */
async function refusal (address: string): Promise<string | undefined> {
  let host: string | undefined
  let port: number | undefined
  try {
    for (const { name, value } of multiaddr(address).getComponents()) {
      if (name === 'ip4' || name === 'ip6') host = value
      if (name === 'tcp') port = Number(value)
    }
  } catch {
    return undefined
  }
  if (host == null || port == null || port === 0) return undefined
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => { resolve(REASONS[err.code ?? ''] ?? err.message) })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(undefined) }) })
  })
}

function suggestion (address: string): string {
  const other = address.replace(/\/tcp\/\d+/, '/tcp/0')
  return other !== address ? `--listen ${other} for any free port` : '--listen /ip4/0.0.0.0/tcp/0'
}
