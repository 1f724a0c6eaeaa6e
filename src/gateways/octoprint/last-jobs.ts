import { join } from 'node:path'
import { readJsonFile, writeJsonFile } from './json-file.js'

/** The job each key submitted last: what OctoPrint's `GET /api/job` reports to that key's client. */
export class LastJobs {
  private jobs: Map<string, string>
  private saving: Promise<void> = Promise.resolve()

  private constructor (private readonly path: string, jobs: Map<string, string>) {
    this.jobs = jobs
  }

  static async open (dir: string): Promise<LastJobs> {
    const path = join(dir, 'last-jobs.json')
    const raw = await readJsonFile(path)
    const entries = raw != null && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw) : []
    return new LastJobs(path, new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string')))
  }

  of (tokenName: string): string | undefined {
    return this.jobs.get(tokenName)
  }

  async record (tokenName: string, jobId: string): Promise<void> {
    this.jobs.set(tokenName, jobId)
    const snapshot = Object.fromEntries(this.jobs)
    this.saving = this.saving.then(async () => writeJsonFile(this.path, snapshot))
    await this.saving
  }
}
