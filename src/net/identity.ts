import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { withKeptSigningKey } from './signing-key.js'
import type { PrivateKey } from '@libp2p/interface'

const KEY_FILE = 'peer.key'

/**
 * The peer's private key, created once in the data dir (mode 0600) and reused, so a restarted node keeps its
 * peer id and the others recognise it.
 */
export async function loadOrCreatePeerKey (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, KEY_FILE)
  try {
    return withKeptSigningKey(privateKeyFromProtobuf(await readFile(file)))
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new Error(`cannot read the peer key ${file}: ${err.message}`)
  }
  const key = await generateKeyPair('Ed25519')
  await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  return withKeptSigningKey(key)
}

/** A data dir ready for use, and a way to take it back when the start that made it fails. */
export interface PreparedDataDir {
  /** Removes the data dir when this start created it (with any parent it created); one that was there stays. */
  removeIfNew(): Promise<void>
}

/**
 * The data dir holds the peer key, LevelDB, blobs and the control socket: only its owner may enter it. A start
 * that fails (a listen port in use) must not leave a half-made one behind for the next start to trip over.
 */
export async function prepareDataDir (dataDir: string): Promise<PreparedDataDir> {
  const created = await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  return {
    removeIfNew: async () => {
      if (created != null) await rm(created, { recursive: true, force: true })
    }
  }
}
