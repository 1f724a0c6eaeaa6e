import { join } from 'node:path'
import { JsonFile } from './json-file.js'

/** An upload kept under its name, as OctoPrint keeps files in its uploads folder; the content is a blob. */
export interface KeptFile {
  name: string
  hash: string
  size: number
  /** Unix seconds, as OctoPrint dates files. */
  date: number
}

/** Kept files the list holds; an upload past it drops the oldest, so clients cannot grow it without end. */
const MAX_KEPT_FILES = 256

/**
 * The gateway's uploads folder: names to blobs, in a JSON file of the data dir. The blobs age out of the blob
 * store like any other (blobs.maxAgeHours); a name whose blob is gone is no longer listed.
 */
export class KeptFiles {
  private files: KeptFile[]

  private constructor (private readonly file: JsonFile, files: KeptFile[]) {
    this.files = files
  }

  static async open (dir: string): Promise<KeptFiles> {
    const file = new JsonFile(join(dir, 'kept-files.json'))
    const raw = await file.read()
    return new KeptFiles(file, Array.isArray(raw) ? raw.filter(isKeptFile).slice(-MAX_KEPT_FILES) : [])
  }

  list (): KeptFile[] {
    return [...this.files]
  }

  get (name: string): KeptFile | undefined {
    return this.files.find(f => f.name === name)
  }

  /** Keeps a file, replacing one of the same name as OctoPrint's upload does. */
  async keep (file: KeptFile): Promise<void> {
    this.files = [...this.files.filter(f => f.name !== file.name), file].slice(-MAX_KEPT_FILES)
    await this.file.write(this.files)
  }
}

function isKeptFile (value: any): value is KeptFile {
  return typeof value?.name === 'string' && typeof value.hash === 'string' && /^[0-9a-f]{64}$/.test(value.hash) &&
    Number.isSafeInteger(value.size) && Number.isFinite(value.date)
}
