import { join } from 'node:path'
import { JsonFile } from './json-file.js'

/** The job each key submitted last: what OctoPrint's `GET /api/job` reports to that key's client. */
export class LastJobs {
  private readonly jobs: Map<string, string>

  private constructor (private readonly file: JsonFile, jobs: Map<string, string>) {
    this.jobs = jobs
  }

  static async open (dir: string): Promise<LastJobs> {
    const file = new JsonFile(join(dir, 'last-jobs.json'))
    const raw = await file.read()
    const entries = raw != null && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw) : []
    return new LastJobs(file, new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string')))
  }

  of (tokenName: string): string | undefined {
    return this.jobs.get(tokenName)
  }

  async record (tokenName: string, jobId: string): Promise<void> {
    this.jobs.set(tokenName, jobId)
    await this.file.write(Object.fromEntries(this.jobs))
  }
}
