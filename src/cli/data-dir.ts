import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { Option } from 'commander'

/** Every command that talks to a daemon finds it through its data dir. */
export function dataDirOption (): Option {
  return new Option('--data-dir <dir>', 'the node\'s data dir (peer key, LevelDB, blobs, control socket)')
    .default(resolve(homedir(), '.meshnode'), '~/.meshnode')
    .argParser((dir: string) => resolve(dir))
}
