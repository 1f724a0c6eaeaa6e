import { stageLine } from './job-view.js'
import type { JobRecord, StageRecord } from '../jobs/job.js'

/** Live progress of running jobs; `update` takes the jobs that changed. */
export interface StageProgress {
  update: (jobs: JobRecord[]) => void
  stop: () => void
}

/**
 * On a terminal: a bar per stage (one job) or per job (a batch), with the stage's state and the peer that
 * won it. Elsewhere (a log, CI, a script): one line each time a stage changes state. The bars' library
 * takes 10 ms to load, so only a terminal loads it.
 */
export async function stageProgress (jobCount: number, live = process.stdout.isTTY): Promise<StageProgress> {
  if (!live) return new StageLines()
  const { StageBars } = await import('./stage-bars.js')
  return new StageBars(jobCount)
}

/** One line per stage each time its state or its peer changes. */
export class StageLines implements StageProgress {
  private readonly printed = new Map<string, string>()

  update (jobs: JobRecord[]): void {
    for (const job of jobs) {
      for (const stage of job.stages) {
        const key = `${job.id}:${stage.index}`
        const refused = refusals(stage)
        const summary = `${stage.state}:${stage.peerName ?? ''}:${refused}`
        if (this.printed.get(key) === summary || stage.state === 'pending') continue
        this.printed.set(key, summary)
        process.stdout.write(`${job.id}${stageLine(stage)}${refused}\n`)
      }
    }
  }

  stop (): void {}
}

/**
 * While a stage is bidding, the refusals of its current attempt, e.g. `: refused by printer-pi: does not take
 * prints from ...`: a submitter reads why no peer took it in the first bid window, not when the stage fails.
 */
export function refusals (stage: StageRecord): string {
  if (stage.state !== 'bidding') return ''
  // In peer order: the same refusals heard in another order are no news.
  const refused = stage.bids.filter(b => b.attempt === stage.attempt && !b.accept).sort((a, b) => a.peerName.localeCompare(b.peerName))
  return refused.length > 0 ? `: refused by ${refused.map(b => `${b.peerName}: ${b.reason}`).join('; ')}` : ''
}
