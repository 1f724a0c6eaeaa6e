import { readFile, writeFile } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'

const KEY_BYTES = 95

/** Writes a new libp2p private-network key; refuses to overwrite one, since every peer must share it. */
export async function writeMeshKey (file: string): Promise<void> {
  const key = new Uint8Array(KEY_BYTES)
  generateKey(key)
  await writeFile(file, key, { mode: 0o600, flag: 'wx' })
}

export class MeshKeyError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MeshKeyError'
  }
}

export async function readMeshKey (file: string): Promise<Uint8Array> {
  let key: Buffer
  try {
    key = await readFile(file)
  } catch (err: any) {
    throw new MeshKeyError(`cannot read the mesh key ${file}: ${err.code ?? err.message} (make one with "meshnode keygen ${file}")`)
  }
  if (!key.toString('utf8').startsWith('/key/swarm/psk/1.0.0/')) {
    throw new MeshKeyError(`${file} is not a mesh key (make one with "meshnode keygen FILE" and copy it to every peer)`)
  }
  return new Uint8Array(key)
}
