import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** One simulated machine: a network namespace with `eth0` plugged into the LAN's bridge. */
export interface Namespace {
  index: number
  /** The namespace name, for `ip netns exec`. */
  name: string
  /** Its IPv4 address on the LAN. */
  address: string
  /** The host end of its veth pair, plugged into the bridge; down means the cable is pulled. */
  hostVeth: string
}

/** A bridge and the namespaces on it, all named after `tag`. */
export interface Network {
  tag: string
  bridge: string
  /** The LAN's /24, e.g. "10.26.31.0/24". */
  subnet: string
  namespaces: Namespace[]
}

export class NamespaceError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NamespaceError'
  }
}

const MAX_NAMESPACES = 250
const IP_TIMEOUT_MS = 15_000

/** Runs `ip` with an argument array (and optional batch input); throws with ip's own stderr. */
export function ip (args: string[], input?: string): string {
  try {
    return execFileSync('ip', args, { input, encoding: 'utf8', timeout: IP_TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? ''
    throw new NamespaceError(`ip ${args.join(' ')} failed: ${stderr !== '' ? stderr : (err as Error).message}`, { cause: err })
  }
}

/**
 * A /24 in 10.0.0.0/8 picked from the pid and the LAN's ordinal in this process, so concurrent runs
 * use different subnets. Each LAN has its own bridge, so a clash would still not leak traffic.
 */
function subnetFor (pid: number, ordinal: number): string {
  const n = ((pid % 32768) * 2 + (ordinal % 2)) % 65536
  return `10.${n >> 8}.${n & 255}`
}

/**
 * Makes a bridge and `size` namespaces on it. The bridge has no address: the host takes no part in the
 * LAN, so nothing the nodes send (mDNS included) reaches the host's own interfaces.
 * On any failure it removes what it made and throws a NamespaceError saying what went wrong.
 */
export function createNetwork (tag: string, size: number, ordinal: number): Network {
  if (!Number.isInteger(size) || size < 1 || size > MAX_NAMESPACES) throw new RangeError(`a LAN has 1 to ${MAX_NAMESPACES} namespaces, not ${size}`)
  if (process.getuid?.() !== 0) {
    throw new NamespaceError(`LAN tests need root to create network namespaces (running as uid ${process.getuid?.()}); run them as root`)
  }
  const prefix = subnetFor(process.pid, ordinal)
  const network: Network = { tag, bridge: `${tag}br`, subnet: `${prefix}.0/24`, namespaces: [] }
  try {
    ip(['link', 'add', network.bridge, 'type', 'bridge', 'mcast_snooping', '0'])
    ip(['link', 'set', network.bridge, 'up'])
    for (let index = 0; index < size; index++) {
      const ns: Namespace = { index, name: `${tag}n${index}`, address: `${prefix}.${index + 1}`, hostVeth: `${tag}v${index}` }
      ip(['netns', 'add', ns.name])
      network.namespaces.push(ns)
      ip(['link', 'add', ns.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name])
      ip(['link', 'set', ns.hostVeth, 'master', network.bridge, 'up'])
      ip(['-n', ns.name, '-batch', '-'], [
        'link set lo up',
        `addr add ${ns.address}/24 dev eth0`,
        'link set eth0 up',
        // mDNS sends to 224.0.0.251; with no default route the namespace would have nowhere to send it.
        'route add 224.0.0.0/4 dev eth0'
      ].join('\n') + '\n')
    }
  } catch (err) {
    destroyNetwork(network)
    const why = err instanceof Error ? err.message : String(err)
    throw new NamespaceError(`cannot create the test LAN ${tag} (network namespaces, a bridge and veth pairs; needs root and CAP_NET_ADMIN): ${why}`, { cause: err })
  }
  return network
}

/**
 * Removes the veths, namespaces and bridge of `network`, whatever state they are in; synchronous so it can
 * run from a process 'exit' handler. Deleting the host end of a veth removes both ends at once, so `ip link`
 * is clean on return even if the kernel reaps an emptied namespace later. Returns what it failed to remove.
 */
export function destroyNetwork (network: Network): string[] {
  const failures: string[] = []
  const attempt = (args: string[], exists: () => boolean): void => {
    if (!exists()) return
    try { ip(args) } catch (err) { failures.push((err as Error).message) }
  }
  for (const ns of network.namespaces) {
    attempt(['link', 'del', ns.hostVeth], () => linkExists(ns.hostVeth))
    attempt(['netns', 'del', ns.name], () => listNamespaces().includes(ns.name))
  }
  attempt(['link', 'del', network.bridge], () => linkExists(network.bridge))
  return failures
}

/**
 * Whether every namespace's cable is plugged in: the kernel brings a new veth's carrier up, and the bridge
 * lets its port forward, a moment after `ip link set up` returns; a packet sent before that is dropped.
 */
export function cablesReady (network: Network): boolean {
  return network.namespaces.every(ns => {
    const read = (file: string): string => { try { return readFileSync(`/sys/class/net/${ns.hostVeth}/${file}`, 'utf8').trim() } catch { return '' } }
    // brport/state 3 is BR_STATE_FORWARDING.
    return read('operstate') === 'up' && read('brport/state') === '3'
  })
}

export function linkExists (name: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore', timeout: IP_TIMEOUT_MS })
    return true
  } catch {
    return false
  }
}

/** The names `ip netns list` shows. */
export function listNamespaces (): string[] {
  return ip(['netns', 'list']).split('\n').map(line => line.split(' ')[0]).filter(name => name !== '')
}

/** The names of the host's links (`ip -o link`), without the "@peer" suffix. */
export function listLinks (): string[] {
  return ip(['-o', 'link', 'show']).split('\n')
    .map(line => line.split(': ')[1]?.split('@')[0])
    .filter((name): name is string => name !== undefined && name !== '')
}

export function setLink (name: string, state: 'up' | 'down'): void {
  ip(['link', 'set', name, state])
}
