import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The compiled CLI entry beside this file, wherever the build was written. */
export const meshnodeBin = fileURLToPath(new URL('./bin/meshnode.js', import.meta.url))

/** The folder holding meshnode's package.json: examples/, node-configs/ and protocols/ live there. */
export function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'meshnode') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the meshnode package root above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}

/** meshnode's version, from its package.json. */
export function packageVersion (): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
}
