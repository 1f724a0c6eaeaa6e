import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
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

/** The data dir holds the peer key, LevelDB, blobs and the control socket: only its owner may enter it. */
export async function prepareDataDir (dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
}
