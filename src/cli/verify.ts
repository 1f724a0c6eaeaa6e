import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { provenanceView } from './provenance-view.js'
import { printJson, withDaemon } from './run-action.js'

export const verify: Command = {
  args: [{ name: '<file>', help: 'a part: G-code, STL, or any file a job made' }],
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async ([file], flags: { json?: boolean, dataDir?: string }) => {
    const hash = createHash('sha256')
    await pipeline(createReadStream(file), hash)
    const verification = await withDaemon(dataDirOf(flags), async c => c.call('verify', { hash: hash.digest('hex') }))
    if (flags.json === true) printJson(verification)
    else process.stdout.write(provenanceView(verification))
    return verification.verified === true ? 0 : 1
  }
}
