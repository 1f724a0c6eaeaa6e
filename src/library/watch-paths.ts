import type { MeshDb } from '../store/open-db.js'

/** Which entry each watched file became, so its next change is a new version of that entry. */
export class WatchPaths {
  private readonly db

  constructor (db: MeshDb) {
    this.db = db.sublevel<string, string>('library-watch', { valueEncoding: 'utf8' })
  }

  async entryOf (path: string): Promise<string | undefined> {
    return this.db.get(path)
  }

  async set (path: string, entry: string): Promise<void> {
    await this.db.put(path, entry)
  }
}
