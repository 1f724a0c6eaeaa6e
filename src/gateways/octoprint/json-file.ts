import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The parsed content of a JSON file, or undefined when there is none yet or it does not parse (it is rewritten). */
export async function readJsonFile (path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (err: any) {
    if (err.code === 'ENOENT' || err instanceof SyntaxError) return undefined
    throw err
  }
}

/** Replaces the file whole (temp file, then rename), so a crash leaves the old content or the new, never half. */
export async function writeJsonFile (path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(value) + '\n', { mode: 0o600 })
  await rename(temp, path)
}
