import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * A small JSON file the gateway keeps its state in. Writes replace the file whole (temp file, then rename), so a
 * crash leaves the old content or the new, never half; they run one at a time, in the order they were asked.
 */
export class JsonFile {
  private writing: Promise<void> = Promise.resolve()

  constructor (private readonly path: string) {}

  /** The parsed content, or undefined when there is none yet or it does not parse (it is rewritten). */
  async read (): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8'))
    } catch (err: any) {
      if (err.code === 'ENOENT' || err instanceof SyntaxError) return undefined
      throw err
    }
  }

  async write (value: unknown): Promise<void> {
    // A failed write (a full disk) fails its own caller only; the next one tries again.
    const write = this.writing.catch(() => {}).then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      const temp = `${this.path}.${process.pid}.tmp`
      await writeFile(temp, JSON.stringify(value) + '\n', { mode: 0o600 })
      await rename(temp, this.path)
    })
    this.writing = write
    await write
  }
}
