import type { MeshDb } from '../store/open-db.js'

/** The entry and version a job was made from, so its outputs find their way back to the entry. */
export interface JobLink {
  entry: string
  version: string
}

/** Jobs made from library entries, in LevelDB: a job that ends after a restart still reaches its entry. */
export class JobLinks {
  private readonly db

  constructor (db: MeshDb) {
    this.db = db.sublevel<string, JobLink>('library-jobs', { valueEncoding: 'json' })
  }

  async record (job: string, link: JobLink): Promise<void> {
    await this.db.put(job, link)
  }

  async get (job: string): Promise<JobLink | undefined> {
    return this.db.get(job)
  }

  async forget (job: string): Promise<void> {
    await this.db.del(job)
  }
}
