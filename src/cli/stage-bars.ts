import cliProgress from 'cli-progress'
import { refusals, type StageProgress } from './stage-progress.js'
import type { JobRecord, StageRecord } from '../jobs/job.js'

/** Progress bars on a terminal: one per stage for a single job, one per job for a batch. */
export class StageBars implements StageProgress {
  private readonly batch: boolean
  private readonly bars: cliProgress.MultiBar
  private readonly rows = new Map<string, cliProgress.SingleBar>()

  constructor (jobCount: number) {
    this.batch = jobCount > 1
    this.bars = new cliProgress.MultiBar({
      format: '{label} |{bar}| {percentage}% {status}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false
    }, cliProgress.Presets.shades_classic)
  }

  update (jobs: JobRecord[]): void {
    if (!this.batch) {
      for (const job of jobs) {
        for (const stage of job.stages) this.row(`${job.id}:${stage.index}`, `${stage.index + 1}. ${stage.kind.padEnd(6)}`, percent(stage), status(stage))
      }
      return
    }
    for (const job of jobs) {
      const done = job.stages.filter(s => s.state === 'done').length
      const current = job.stages.find(s => s.state !== 'done')
      const value = (100 * done + (current != null ? percent(current) : 0)) / job.stages.length
      this.row(job.id, job.input.name.slice(0, 24).padEnd(24), value, current != null ? `${current.kind} ${status(current)}` : job.state)
    }
  }

  stop (): void {
    this.bars.stop()
  }

  private row (key: string, label: string, value: number, text: string): void {
    const payload = { label, status: text }
    const bar = this.rows.get(key)
    if (bar == null) this.rows.set(key, this.bars.create(100, Math.round(value), payload))
    else bar.update(Math.round(value), payload)
  }
}

function percent (stage: StageRecord): number {
  if (stage.state === 'done') return 100
  return stage.state === 'running' ? Math.min(100, Math.max(0, stage.progress ?? 0)) : 0
}

function status (stage: StageRecord): string {
  const peer = stage.peerName != null ? ` on ${stage.peerName}` : ''
  const end = stage.finishedAt ?? Date.now()
  const elapsed = stage.startedAt != null ? ` ${((end - stage.startedAt) / 1000).toFixed(1)} s` : ''
  const cached = stage.cached === true ? ' (from cache)' : ''
  return `${stage.state}${peer}${elapsed}${cached}${refusals(stage)}`
}
