import { connect, type Socket } from 'node:net'
import { inviteKeys, inviteProof, newNonce, unseal } from './invite-crypto.js'
import { decodeAnswer, decodeHello, decodeWelcome, encodeLine, onLines, type Refusal, type Welcome } from './invite-messages.js'
import type { InviteAddress, InviteCode } from './invite-code.js'

const EXCHANGE_TIMEOUT_MS = 10_000

/** The inviting peer said no; `reason` says why in a word, the message in a sentence. */
export class InviteRefusedError extends Error {
  readonly reason: Refusal
  constructor (reason: Refusal, message: string) {
    super(message)
    this.name = 'InviteRefusedError'
    this.reason = reason
  }
}

export class InviteUnreachableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InviteUnreachableError'
  }
}

/**
 * Redeems a code at the peer that made it: proves the code's secret without sending it and opens the sealed
 * mesh key. A box that does not open means the other side does not know the secret: it is refused.
 */
export async function redeemInvite (code: InviteCode): Promise<Welcome> {
  const failures: string[] = []
  for (const address of code.addresses) {
    let socket: Socket
    try {
      socket = await connectTo(address)
    } catch (err: any) {
      failures.push(`${address.host}:${address.port} (${err.code ?? err.message})`)
      continue
    }
    try {
      return await exchange(socket, code.secret)
    } finally {
      socket.destroy()
    }
  }
  const again = 'make a new one with "npx meshnode invite" on a machine of the mesh'
  if (code.expiresAt <= Date.now()) {
    throw new InviteRefusedError('expired', `this invite code expired at ${new Date(code.expiresAt).toISOString()}: ${again}`)
  }
  throw new InviteUnreachableError(`cannot reach the inviting peer at ${failures.join(', ')}: is its meshnode still running, on this LAN? Otherwise ${again}`)
}

async function connectTo (address: InviteAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, timeout: EXCHANGE_TIMEOUT_MS })
    socket.once('connect', () => { socket.setTimeout(0); resolve(socket) })
    socket.once('timeout', () => { socket.destroy(); reject(new Error('no answer')) })
    socket.once('error', reject)
  })
}

async function exchange (socket: Socket, secret: Uint8Array): Promise<Welcome> {
  const keys = inviteKeys(secret)
  const clientNonce = newNonce()
  let serverNonce: Uint8Array | undefined
  return new Promise<Welcome>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new InviteUnreachableError('the inviting peer did not finish the exchange in time')) }, EXCHANGE_TIMEOUT_MS)
    const settle = (step: () => Welcome): void => {
      clearTimeout(timer)
      try { resolve(step()) } catch (err) { reject(err) }
    }
    socket.on('error', (err) => { clearTimeout(timer); reject(new InviteUnreachableError(`the connection to the inviting peer broke: ${err.message}`)) })
    socket.on('close', () => { clearTimeout(timer); reject(new InviteUnreachableError('the inviting peer closed the connection without an answer')) })
    onLines(socket, (line) => {
      if (serverNonce == null) {
        try {
          serverNonce = decodeHello(line).nonce
        } catch (err) {
          settle(() => { throw err })
          return
        }
        socket.write(encodeLine({ nonce: clientNonce, proof: inviteProof(keys.proofKey, serverNonce, clientNonce) }))
        return
      }
      const nonces = Buffer.concat([serverNonce, clientNonce])
      settle(() => {
        const answer = decodeAnswer(line)
        if ('refused' in answer) throw new InviteRefusedError(answer.refused, answer.message)
        const plaintext = unseal(keys.sealKey, nonces, answer.sealed)
        if (plaintext == null) throw new InviteRefusedError('wrong-code', 'the peer at this address does not know this code: the key it sent does not open')
        return decodeWelcome(plaintext)
      })
    })
  })
}
