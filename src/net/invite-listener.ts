import { createServer, type Server, type Socket } from 'node:net'
import { logger } from '@libp2p/logger'
import { newNonce, proofMatches, seal } from './invite-crypto.js'
import { decodeProof, encodeLine, encodeWelcome, INVITE_VERSION, onLines, type Answer, type Proof, type Welcome } from './invite-messages.js'
import type { InviteStore } from './invite-store.js'

const log = logger('meshnode:invite')

/** A joiner that has not finished the exchange this soon is cut off. */
const EXCHANGE_TIMEOUT_MS = 5000
const MAX_CONNECTIONS = 16
/** Wrong proofs tolerated per window before every attempt is answered "slow down" unchecked. */
const MAX_WRONG_PROOFS = 10
const WRONG_PROOF_WINDOW_MS = 60_000

/**
 * The TCP listener a peer runs while one of its invites is open: it hands the mesh key, sealed, to a joiner
 * that proves it holds an open code, once per code. Anyone on the LAN can reach it, so connections, time
 * and wrong guesses are all bounded (a guess at a 128-bit secret is hopeless anyway; the bound keeps the
 * peer's CPU for its work).
 */
export class InviteListener {
  private readonly store: InviteStore
  private readonly welcome: () => Welcome
  private server?: Server
  private readonly sockets = new Set<Socket>()
  private wrongProofs: number[] = []
  /** Checking a proof and marking its invite used is one step: two joiners with one code cannot both get in. */
  private checking: Promise<unknown> = Promise.resolve()

  constructor (store: InviteStore, welcome: () => Welcome) {
    this.store = store
    this.welcome = welcome
  }

  get port (): number | undefined {
    const address = this.server?.address()
    return typeof address === 'object' && address != null ? address.port : undefined
  }

  /** Listens on `host:port` (0: any free port) unless it listens already; resolves with the port. */
  async listen (host: string, port: number): Promise<number> {
    if (this.port != null) return this.port
    const server = createServer(socket => { this.accept(socket) })
    server.maxConnections = MAX_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    log('listening for joiners on %s:%d', host, this.port)
    return this.port ?? port
  }

  async close (): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    if (server != null) await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    log('closed the invite listener')
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    socket.on('error', () => {})
    const deadline = setTimeout(() => socket.destroy(), EXCHANGE_TIMEOUT_MS)
    socket.on('close', () => { clearTimeout(deadline); this.sockets.delete(socket) })
    const serverNonce = newNonce()
    socket.write(encodeLine({ v: INVITE_VERSION, nonce: serverNonce }))
    let answered = false
    onLines(socket, (line) => {
      if (answered) return
      answered = true
      let proof: Proof
      try {
        proof = decodeProof(line)
      } catch (err: any) {
        log('a joiner from %s sent a bad proof: %s', socket.remoteAddress, err.message)
        socket.destroy()
        return
      }
      const answer = this.checking.then(async () => this.answer(serverNonce, proof))
      this.checking = answer.catch(() => {})
      answer.then(
        reply => { if (!socket.destroyed) socket.end(encodeLine(reply)) },
        err => {
          log.error('answering a joiner failed %e', err)
          if (!socket.destroyed) socket.end(encodeLine({ refused: 'failed', message: 'the inviting peer could not record the invite as used; make a new code' }))
        }
      )
    })
  }

  private async answer (serverNonce: Uint8Array, proof: Proof): Promise<Answer> {
    const now = Date.now()
    this.wrongProofs = this.wrongProofs.filter(at => at > now - WRONG_PROOF_WINDOW_MS)
    if (this.wrongProofs.length >= MAX_WRONG_PROOFS) return { refused: 'slow-down', message: 'too many wrong invite codes in the last minute: wait a minute and try again' }
    const record = (await this.store.all()).find(r => proofMatches(Buffer.from(r.proofKey, 'base64'), serverNonce, proof.nonce, proof.proof))
    if (record == null) {
      this.wrongProofs.push(now)
      return { refused: 'wrong-code', message: 'this peer made no such invite code (mistyped, or made by another peer)' }
    }
    const again = 'make a new one with "npx meshnode invite" on a machine of the mesh'
    if (record.expiresAt <= now) return { refused: 'expired', message: `this invite code expired at ${new Date(record.expiresAt).toISOString()}: ${again}` }
    if (record.usedAt != null || record.sealKey == null) return { refused: 'used', message: `this invite code was used already (at ${new Date(record.usedAt ?? now).toISOString()}), and a code lets one machine join: ${again}` }
    await this.store.markUsed(record)
    log('invite %s used by a joiner', record.id)
    const nonces = Buffer.concat([serverNonce, proof.nonce])
    return { sealed: seal(Buffer.from(record.sealKey, 'base64'), nonces, encodeWelcome(this.welcome())) }
  }
}
