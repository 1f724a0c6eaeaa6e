import { quote } from 'shell-quote'
import { dataDirOf } from './data-dir.js'

/**
 * A command line for the user to paste: started the way this CLI was (`npx meshnode` from a checkout, `meshnode`
 * when installed), on the data dir this command was given, and shell-quoted, since its words carry file names
 * from jobs (`x ; rm -rf ~.gcode` is a name, not a second command).
 */
export function suggestedCommand (args: string[], flags: { dataDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const invocation = env.npm_lifecycle_event === 'npx' ? ['npx', 'meshnode'] : ['meshnode']
  const dataDir = flags.dataDir != null ? ['--data-dir', dataDirOf(flags)] : []
  return quote([...invocation, ...args, ...dataDir])
}
