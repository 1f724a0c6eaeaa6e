import type { MeshDb } from '../store/open-db.js'

/**
 * Which token submitted each job, so a submit-scoped token can cancel its own jobs and no others. Jobs the
 * owner submitted have no entry.
 */
export class JobSubmitters {
  private readonly db

  constructor (db: MeshDb) {
    this.db = db.sublevel<string, string>('api-submitters', { valueEncoding: 'utf8' })
  }

  async record (jobId: string, tokenName: string): Promise<void> {
    await this.db.put(jobId, tokenName)
  }

  async submitterOf (jobId: string): Promise<string | undefined> {
    return (await this.db.get(jobId)) ?? undefined
  }
}
