import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { encodeInviteCode, MAX_ADDRESSES, SECRET_BYTES, type InviteAddress } from './invite-code.js'
import { inviteKeys } from './invite-crypto.js'
import { InviteListener } from './invite-listener.js'
import { InviteStore } from './invite-store.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { MeshDb } from '../store/open-db.js'

const log = logger('meshnode:invite')

const IP4_TCP = /^\/ip4\/([0-9.]+)\/tcp\//
export const MIN_INVITE_MS = 1000
export const MAX_INVITE_MS = 24 * 3600_000

export interface InvitesInit {
  db: MeshDb
  /** The key this peer runs with; undefined in an open mesh, which needs no invites. */
  meshKey: Uint8Array | undefined
  /** The addresses libp2p listens on, wildcards expanded: where joiners can reach this machine. */
  addresses: () => Multiaddr[]
  /** The libp2p listen addresses as configured: the invite listener binds the same host. */
  listen: string[]
}

export interface Invite {
  code: string
  expiresAt: number
  addresses: InviteAddress[]
}

export class InviteError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InviteError'
  }
}

/**
 * This peer's invites: makes codes, keeps them in LevelDB, and runs the invite listener while any code has
 * not expired (so a used or wrong code gets a clear answer until then), and only then.
 */
export class Invites {
  private readonly init: InvitesInit
  private readonly store: InviteStore
  private readonly listener: InviteListener
  private closeTimer?: NodeJS.Timeout
  /** Opening for a new code and closing after the last one run one at a time, or a close could beat a new code. */
  private turn: Promise<unknown> = Promise.resolve()

  constructor (init: InvitesInit) {
    this.init = init
    this.store = new InviteStore(init.db)
    this.listener = new InviteListener(this.store, () => ({
      meshKey: init.meshKey ?? new Uint8Array(),
      peers: init.addresses().map(a => a.toString())
    }))
  }

  /** A restarted peer listens again, on the same port, for the codes it gave out that are still open. */
  async start (): Promise<void> {
    await this.store.prune()
    const open = (await this.store.unexpired()).filter(r => r.usedAt == null)
    const latest = open.sort((a, b) => b.createdAt - a.createdAt)[0]
    if (latest == null || this.init.meshKey == null) return
    try {
      await this.listener.listen(this.bindHost(), latest.port)
    } catch (err: any) {
      log.error('cannot listen for joiners on port %d again (%s): open invite codes will not work; make new ones', latest.port, err.code ?? err.message)
      return
    }
    await this.scheduleClose()
  }

  async stop (): Promise<void> {
    clearTimeout(this.closeTimer)
    await this.listener.close()
  }

  async create (ttlMs: number): Promise<Invite> {
    return this.inTurn(async () => this.createNow(ttlMs))
  }

  private async createNow (ttlMs: number): Promise<Invite> {
    if (this.init.meshKey == null) throw new InviteError('this mesh is open (--open): any machine on the LAN can join it without a code')
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_INVITE_MS || ttlMs > MAX_INVITE_MS) throw new InviteError(`an invite lasts ${MIN_INVITE_MS / 1000} s to ${MAX_INVITE_MS / 3600_000} h`)
    const hosts = this.reachableHosts()
    if (hosts.length === 0) throw new InviteError('this peer listens on no IPv4 address, so no other machine could reach it with a code')
    const port = await this.listener.listen(this.bindHost(), 0)
    const secret = new Uint8Array(randomBytes(SECRET_BYTES))
    // The code carries whole seconds; the record must expire when the code says.
    const expiresAt = Math.floor((Date.now() + ttlMs) / 1000) * 1000
    await this.store.add(inviteKeys(secret), expiresAt, port)
    await this.scheduleClose()
    const addresses = hosts.map(host => ({ host, port }))
    return { code: encodeInviteCode({ secret, expiresAt, addresses }), expiresAt, addresses }
  }

  private async inTurn<T> (step: () => Promise<T>): Promise<T> {
    const done = this.turn.then(step)
    this.turn = done.catch(() => {})
    return done
  }

  /** Closes the listener now if no code is open, else once the last one has expired. */
  private async scheduleClose (): Promise<void> {
    clearTimeout(this.closeTimer)
    const open = await this.store.unexpired()
    if (open.length === 0) {
      await this.listener.close()
      return
    }
    const last = Math.max(...open.map(r => r.expiresAt))
    this.closeTimer = setTimeout(() => {
      this.inTurn(async () => this.scheduleClose()).catch(err => log.error('closing the invite listener failed %e', err))
    }, last - Date.now() + 10)
  }

  /** The host the invite listener binds: the one libp2p listens on, or every interface if libp2p does. */
  private bindHost (): string {
    const hosts = this.init.listen.map(a => IP4_TCP.exec(a)?.[1]).filter(h => h != null)
    return hosts.includes('0.0.0.0') || hosts.length === 0 ? '0.0.0.0' : hosts[0]
  }

  /** The IPv4 addresses to put in a code: the LAN ones first, loopback only on a machine that has nothing else. */
  private reachableHosts (): string[] {
    const hosts = [...new Set(this.init.addresses().map(a => IP4_TCP.exec(a.toString())?.[1]).filter(h => h != null))]
    const lan = hosts.filter(h => !h.startsWith('127.'))
    return (lan.length > 0 ? lan : hosts).slice(0, MAX_ADDRESSES)
  }
}
