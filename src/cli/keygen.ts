import { resolve } from 'node:path'
import { Command } from 'commander'
import { runAction } from './run-action.js'

export function keygenCommand (): Command {
  return new Command('keygen')
    .description('write a new mesh key: copy it to every peer and start each with --mesh-key FILE')
    .argument('<file>', 'where to write the key (refuses to overwrite)')
    .action(async (file: string) => {
      await runAction(async () => {
        const { writeMeshKey } = await import('../node/mesh-key.js')
        await writeMeshKey(resolve(file)).catch((err: any) => {
          throw new Error(err.code === 'EEXIST' ? `${file} exists: a mesh key is never overwritten` : err.message)
        })
        process.stdout.write(`wrote a mesh key to ${file} (mode 0600); peers without it can never connect\n`)
      })
    })
}
