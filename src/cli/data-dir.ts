import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { Flag } from './command.js'

/** Every command that talks to a daemon finds it through its data dir. */
export const DATA_DIR_FLAG: Flag = { spec: '--data-dir <dir>', help: 'the node\'s data dir (peer key, LevelDB, blobs, control socket) (default: ~/.meshnode)' }

export function dataDirOf (flags: { dataDir?: string }): string {
  return resolve(flags.dataDir ?? resolve(homedir(), '.meshnode'))
}
