import { resolve } from 'node:path'
import type { Command } from './command.js'

export const keygen: Command = {
  args: [{ name: '<file>', help: 'where to write the key (refuses to overwrite)' }],
  run: async ([file]) => {
    const { writeMeshKey } = await import('../net/mesh-key.js')
    await writeMeshKey(resolve(file)).catch((err: any) => {
      throw new Error(err.code === 'EEXIST' ? `${file} exists: a mesh key is never overwritten` : err.message)
    })
    process.stdout.write(`wrote a mesh key to ${file} (mode 0600); peers without it can never connect\n`)
  }
}
