import { createHash } from 'node:crypto'
import { isIPv4 } from 'node:net'

/**
 * What an invite code carries: the secret that proves the joiner was invited (128 bits, so that guessing it is
 * hopeless and no PAKE is needed), when it stops working, and where the inviting peer listens for it.
 */
export interface InviteCode {
  secret: Uint8Array
  /** Milliseconds since the epoch, a whole second. */
  expiresAt: number
  addresses: InviteAddress[]
}

export interface InviteAddress {
  host: string
  port: number
}

export const SECRET_BYTES = 16
export const MAX_ADDRESSES = 3
const VERSION = 1
const CHECK_BYTES = 2
const FIXED_BYTES = 1 + SECRET_BYTES + 4
const ADDRESS_BYTES = 6
const GROUP = 5
/** Crockford's base32: no I, L, O or U, so that a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const MAX_CODE_CHARS = 200

export class InviteCodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InviteCodeError'
  }
}

/** `XXXXX-XXXXX-...`: the bytes in base32, with a two-byte checksum so a typo is caught before any network. */
export function encodeInviteCode (code: InviteCode): string {
  if (code.secret.length !== SECRET_BYTES) throw new RangeError(`an invite secret is ${SECRET_BYTES} bytes`)
  if (code.addresses.length < 1 || code.addresses.length > MAX_ADDRESSES) throw new RangeError(`an invite carries 1 to ${MAX_ADDRESSES} addresses`)
  const body = Buffer.alloc(FIXED_BYTES + ADDRESS_BYTES * code.addresses.length)
  body[0] = VERSION
  body.set(code.secret, 1)
  body.writeUInt32BE(Math.floor(code.expiresAt / 1000), 1 + SECRET_BYTES)
  code.addresses.forEach(({ host, port }, i) => {
    if (!isIPv4(host)) throw new RangeError(`${host} is not an IPv4 address`)
    const at = FIXED_BYTES + i * ADDRESS_BYTES
    host.split('.').forEach((octet, j) => { body[at + j] = Number(octet) })
    body.writeUInt16BE(port, at + 4)
  })
  const text = toBase32(Buffer.concat([body, checksum(body)]))
  return text.match(new RegExp(`.{1,${GROUP}}`, 'g'))?.join('-') ?? ''
}

/** Reads a code as a person may have typed it: any case, dashes and spaces anywhere, O for 0 and I or L for 1. */
export function decodeInviteCode (text: string): InviteCode {
  if (text.length > MAX_CODE_CHARS) throw new InviteCodeError(`an invite code has at most ${MAX_CODE_CHARS} characters`)
  const bytes = fromBase32(text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1'))
  const body = bytes.subarray(0, bytes.length - CHECK_BYTES)
  const addressCount = (body.length - FIXED_BYTES) / ADDRESS_BYTES
  if (!Number.isInteger(addressCount) || addressCount < 1 || addressCount > MAX_ADDRESSES) throw new InviteCodeError('this is not an invite code: it is too short or too long (copy it again from "meshnode invite")')
  if (!checksum(body).equals(bytes.subarray(body.length))) throw new InviteCodeError('this invite code has a typo: its checksum does not match (copy it again from "meshnode invite")')
  if (body[0] !== VERSION) throw new InviteCodeError(`this invite code is of version ${body[0]}; this meshnode reads version ${VERSION}: update meshnode on one of the machines`)
  const addresses: InviteAddress[] = []
  for (let i = 0; i < addressCount; i++) {
    const at = FIXED_BYTES + i * ADDRESS_BYTES
    const port = body.readUInt16BE(at + 4)
    if (port === 0) throw new InviteCodeError('this invite code names port 0: it was not made by "meshnode invite"')
    addresses.push({ host: [...body.subarray(at, at + 4)].join('.'), port })
  }
  return {
    secret: new Uint8Array(body.subarray(1, 1 + SECRET_BYTES)),
    expiresAt: body.readUInt32BE(1 + SECRET_BYTES) * 1000,
    addresses
  }
}

function checksum (body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, CHECK_BYTES)
}

function toBase32 (bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

function fromBase32 (text: string): Buffer {
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const char of text) {
    const digit = ALPHABET.indexOf(char)
    if (digit < 0) throw new InviteCodeError(`"${char}" cannot be in an invite code (it has letters and digits, in groups of ${GROUP})`)
    value = (value << 5) | digit
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
    value &= (1 << bits) - 1
  }
  // Padding bits of a code we wrote are zero; anything else is a different code that happens to decode.
  if (bits >= 5 || value !== 0) throw new InviteCodeError('this is not an invite code: its last character does not fit (copy it again from "meshnode invite")')
  return Buffer.from(out)
}
