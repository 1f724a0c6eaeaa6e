import type { Socket } from 'node:net'
import { onLines as splitLines } from '../common/socket-lines.js'
import { NONCE_BYTES } from './invite-crypto.js'

/**
 * The invite exchange, one JSON object a line (binary fields in base64), on a plain TCP connection: the
 * joiner has no mesh key yet, so it cannot speak libp2p to the mesh.
 *
 *   inviter -> joiner  Hello   { v, nonce }
 *   joiner  -> inviter Proof   { nonce, proof }      HMAC of both nonces under the code's proof key
 *   inviter -> joiner  Answer  { sealed } | { refused, message }
 *
 * Anyone on the LAN can open this connection, so every line is capped and every field checked.
 */
export const INVITE_VERSION = 1
export const MAX_LINE_BYTES = 4096
const MAX_BOX_BYTES = 2048
const MAX_PEERS = 16
const MAX_MULTIADDR_CHARS = 256
const MAX_MESSAGE_CHARS = 300

export type Refusal = 'wrong-code' | 'used' | 'expired' | 'slow-down' | 'failed'
const REFUSALS: readonly Refusal[] = ['wrong-code', 'used', 'expired', 'slow-down', 'failed']

export interface Hello { v: number, nonce: Uint8Array }
export interface Proof { nonce: Uint8Array, proof: Uint8Array }
export type Answer = { sealed: Uint8Array } | { refused: Refusal, message: string }
/** What the sealed box holds: the mesh key and where the inviting peer listens for libp2p. */
export interface Welcome { meshKey: Uint8Array, peers: string[] }

export class InviteProtocolError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InviteProtocolError'
  }
}

export function encodeLine (message: Record<string, unknown>): string {
  const wire = Object.fromEntries(Object.entries(message).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v]))
  return JSON.stringify(wire) + '\n'
}

export function decodeHello (line: string): Hello {
  const obj = parseObject(line, 'hello')
  if (obj.v !== INVITE_VERSION) throw new InviteProtocolError(`the inviting peer speaks invite version ${String(obj.v)}, this one ${INVITE_VERSION}: update meshnode on one of the machines`)
  return { v: obj.v, nonce: bytesField(obj, 'nonce', NONCE_BYTES, NONCE_BYTES) }
}

export function decodeProof (line: string): Proof {
  const obj = parseObject(line, 'proof')
  return { nonce: bytesField(obj, 'nonce', NONCE_BYTES, NONCE_BYTES), proof: bytesField(obj, 'proof', 32, 32) }
}

export function decodeAnswer (line: string): Answer {
  const obj = parseObject(line, 'answer')
  if (obj.sealed !== undefined) return { sealed: bytesField(obj, 'sealed', 1, MAX_BOX_BYTES) }
  if (typeof obj.refused !== 'string' || !(REFUSALS as readonly string[]).includes(obj.refused)) throw new InviteProtocolError('the answer is neither a sealed key nor a known refusal')
  if (typeof obj.message !== 'string' || obj.message.length > MAX_MESSAGE_CHARS) throw new InviteProtocolError('the refusal has no readable message')
  return { refused: obj.refused as Refusal, message: obj.message }
}

export function encodeWelcome (welcome: Welcome): Uint8Array {
  return new TextEncoder().encode(encodeLine({ meshKey: welcome.meshKey, peers: welcome.peers.slice(0, MAX_PEERS) }))
}

export function decodeWelcome (bytes: Uint8Array): Welcome {
  const obj = parseObject(new TextDecoder().decode(bytes), 'welcome')
  const peers = obj.peers
  if (!Array.isArray(peers) || peers.length > MAX_PEERS || !peers.every(p => typeof p === 'string' && p.length <= MAX_MULTIADDR_CHARS)) {
    throw new InviteProtocolError(`the welcome's peers are not a list of at most ${MAX_PEERS} addresses`)
  }
  return { meshKey: bytesField(obj, 'meshKey', 1, 1024), peers }
}

/** Calls `handle` with each line of the socket; a line over the cap ends the connection. */
export function onLines (socket: Socket, handle: (line: string) => void): void {
  splitLines(socket, MAX_LINE_BYTES, (line) => { handle(line); return true }, () => socket.destroy(new InviteProtocolError(`an invite message is over ${MAX_LINE_BYTES} bytes`)))
}

function parseObject (line: string, what: string): Record<string, unknown> {
  if (line.length > MAX_LINE_BYTES) throw new InviteProtocolError(`the ${what} is over ${MAX_LINE_BYTES} bytes`)
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new InviteProtocolError(`the ${what} is not JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InviteProtocolError(`the ${what} is not an object`)
  return value as Record<string, unknown>
}

function bytesField (obj: Record<string, unknown>, key: string, min: number, max: number): Uint8Array {
  const value = obj[key]
  if (typeof value !== 'string' || value.length > Math.ceil(max / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new InviteProtocolError(`"${key}" is not base64 of at most ${max} bytes`)
  const bytes = Buffer.from(value, 'base64')
  if (bytes.length < min || bytes.length > max) throw new InviteProtocolError(`"${key}" has ${bytes.length} bytes, not ${min === max ? min : `${min} to ${max}`}`)
  return new Uint8Array(bytes)
}
