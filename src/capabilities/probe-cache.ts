import { constants } from 'node:fs'
import { access, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'

interface Entry {
  size: number
  mtimeMs: number
  version: string | null
}

/**
 * Versions of native tools as their own output gave them, remembered by binary (path, size, mtime): a node
 * restarting with the same tools stats them instead of starting each one. A changed binary is asked again.
 */
export class ProbeCache {
  private readonly file?: string
  private entries: Record<string, Entry> = {}
  private dirty = false

  constructor (file?: string) {
    this.file = file
  }

  async load (): Promise<void> {
    if (this.file == null) return
    try {
      this.entries = JSON.parse(await readFile(this.file, 'utf8'))
    } catch {
      this.entries = {}
    }
  }

  async save (): Promise<void> {
    if (this.file == null || !this.dirty) return
    await writeFile(`${this.file}.tmp`, JSON.stringify(this.entries, null, 2))
    await rename(`${this.file}.tmp`, this.file)
  }

  /** The cached answer for this binary, `undefined` when it must be probed. */
  async lookup (binary: string): Promise<string | null | undefined> {
    const entry = this.entries[binary]
    if (entry == null) return undefined
    const now = await stat(binary).catch(() => undefined)
    return now != null && now.size === entry.size && now.mtimeMs === entry.mtimeMs ? entry.version : undefined
  }

  async remember (binary: string, version: string | null): Promise<void> {
    const now = await stat(binary).catch(() => undefined)
    if (now == null) return
    this.entries[binary] = { size: now.size, mtimeMs: now.mtimeMs, version }
    this.dirty = true
  }
}

/** The executable a command name resolves to, as a shell's PATH search would find it. */
export async function findExecutable (command: string): Promise<string | undefined> {
  const candidates = isAbsolute(command) || command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).filter(dir => dir !== '').map(dir => join(dir, command))
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate
  }
  return undefined
}
