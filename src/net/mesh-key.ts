import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { encodeMeshKey, MESH_KEY_TAG, SECRET_BYTES } from './mesh-key-format.js'
import type { NodeConfig } from '../config/node-config.js'

/** Where a peer keeps its mesh's key when the config names no other file: made at its first start, or by `join`. */
export const MESH_KEY_FILE = 'mesh.key'

/** A new mesh key, as its file holds it (a libp2p private-network key file). */
export function newMeshKey (): Uint8Array {
  return encodeMeshKey(randomBytes(SECRET_BYTES))
}

/** Writes a new mesh key; refuses to overwrite one, since every peer must share it. */
export async function writeMeshKey (file: string): Promise<void> {
  await writeMeshKeyBytes(file, newMeshKey())
}

async function writeMeshKeyBytes (file: string, key: Uint8Array): Promise<void> {
  await writeFile(file, key, { mode: 0o600, flag: 'wx' })
}

/** Puts the key a joiner received in place (mode 0600, in a 0700 data dir), over any key there. */
export async function installMeshKey (file: string, key: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const next = `${file}.${process.pid}.new`
  await writeMeshKeyBytes(next, key)
  await rename(next, file)
}

export class MeshKeyError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MeshKeyError'
  }
}

/** The key a peer runs with, and where it came from. */
export interface MeshKey {
  key: Uint8Array
  file: string
  /** Made at this start: this peer is the first of a new mesh. */
  created: boolean
}

/**
 * The mesh key for a config: the file it names, else `<dataDir>/mesh.key`, made at the first start so that a
 * mesh is private unless its operator asks for an open one. An open mesh (`open`) has none.
 */
export async function meshKeyFor (config: Pick<NodeConfig, 'open' | 'meshKeyFile' | 'dataDir'>): Promise<MeshKey | undefined> {
  if (config.open) return undefined
  if (config.meshKeyFile != null) return { key: await readMeshKey(config.meshKeyFile), file: config.meshKeyFile, created: false }
  const file = join(config.dataDir, MESH_KEY_FILE)
  try {
    await writeMeshKey(file)
    return { key: await readMeshKey(file), file, created: true }
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw new MeshKeyError(`cannot write the mesh key ${file}: ${err.code ?? err.message}`)
  }
  return { key: await readMeshKey(file), file, created: false }
}

export async function readMeshKey (file: string): Promise<Uint8Array> {
  let key: Buffer
  try {
    key = await readFile(file)
  } catch (err: any) {
    throw new MeshKeyError(`cannot read the mesh key ${file}: ${err.code ?? err.message} (make one with "meshnode keygen ${file}")`)
  }
  return checkMeshKey(key, file)
}

/** A mesh key's bytes, checked for the private-network key format; `source` names where they came from. */
export function checkMeshKey (key: Uint8Array, source: string): Uint8Array {
  if (key.length > 1024 || !Buffer.from(key).toString('utf8').startsWith(MESH_KEY_TAG)) {
    throw new MeshKeyError(`${source} is not a mesh key (make one with "meshnode keygen FILE" and copy it to every peer)`)
  }
  return new Uint8Array(key)
}
