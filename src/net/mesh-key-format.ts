/** The first line of a libp2p (and IPFS) private-network key file, version 1. */
export const MESH_KEY_TAG = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
export const SECRET_BYTES = 32

export class InvalidMeshKeyError extends Error {
  constructor (reason: string) {
    super(`not a usable mesh key: ${reason} (make one with "meshnode keygen FILE" and copy it to every peer)`)
    this.name = 'InvalidMeshKeyError'
  }
}

/**
 * The 32-byte secret of a key file as `meshnode keygen` and @libp2p/pnet write it: the tag line, the
 * codec line and 64 hex digits. Only base16 is read; a line other than expected is refused, naming it.
 */
export function decodeMeshKey (file: Uint8Array): Uint8Array {
  const lines = new TextDecoder('utf-8', { fatal: false }).decode(file).split(/\r\n|\r|\n/)
  if (lines[0] !== MESH_KEY_TAG) throw new InvalidMeshKeyError(`the first line is not ${MESH_KEY_TAG}`)
  if (lines[1] !== CODEC) throw new InvalidMeshKeyError(`the second line is not ${CODEC}`)
  const hex = (lines[2] ?? '').trim()
  if (!new RegExp(`^[0-9a-fA-F]{${SECRET_BYTES * 2}}$`).test(hex)) throw new InvalidMeshKeyError(`the third line is not ${SECRET_BYTES * 2} hex digits`)
  if (lines.slice(3).some(line => line.trim() !== '')) throw new InvalidMeshKeyError('there is more after the key')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** A key file holding `secret`, as `decodeMeshKey` reads it and @libp2p/pnet's generateKey writes it. */
export function encodeMeshKey (secret: Uint8Array): Uint8Array {
  if (secret.byteLength !== SECRET_BYTES) throw new RangeError(`a mesh key's secret is ${SECRET_BYTES} bytes`)
  return new TextEncoder().encode(`${MESH_KEY_TAG}\n${CODEC}\n${Buffer.from(secret).toString('hex')}`)
}
