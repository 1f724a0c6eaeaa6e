import cliProgress from 'cli-progress'
import { stageLine } from './job-view.js'
import type { JobRecord, StageRecord } from '../jobs/job.js'

/**
 * Live progress of running jobs. On a terminal: a bar per stage (one job) or per job (a batch), with the
 * stage's state and the peer that won it. Elsewhere (a log, CI): one line each time a stage changes state.
 * `update` takes the jobs that changed.
 */
export class StageProgress {
  private readonly batch: boolean
  private readonly live: boolean
  private readonly bars?: cliProgress.MultiBar
  private readonly rows = new Map<string, cliProgress.SingleBar>()
  private readonly printed = new Map<string, string>()

  constructor (jobCount: number, live = process.stdout.isTTY) {
    this.batch = jobCount > 1
    this.live = live
    if (live) {
      this.bars = new cliProgress.MultiBar({
        format: '{label} |{bar}| {percentage}% {status}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false
      }, cliProgress.Presets.shades_classic)
    }
  }

  update (jobs: JobRecord[]): void {
    if (!this.live) return this.printChanges(jobs)
    if (!this.batch) {
      for (const job of jobs) {
        for (const stage of job.stages) this.row(`${job.id}:${stage.index}`, `${stage.index + 1}. ${stage.kind.padEnd(6)}`, percent(stage), status(stage))
      }
    } else {
      for (const job of jobs) {
        const done = job.stages.filter(s => s.state === 'done').length
        const current = job.stages.find(s => s.state !== 'done')
        const value = (100 * done + (current != null ? percent(current) : 0)) / job.stages.length
        this.row(job.id, job.input.name.slice(0, 24).padEnd(24), value, current != null ? `${current.kind} ${status(current)}` : job.state)
      }
    }
  }

  stop (): void {
    this.bars?.stop()
  }

  private row (key: string, label: string, value: number, text: string): void {
    const payload = { label, status: text }
    const bar = this.rows.get(key)
    if (bar == null) this.rows.set(key, (this.bars as cliProgress.MultiBar).create(100, Math.round(value), payload))
    else bar.update(Math.round(value), payload)
  }

  private printChanges (jobs: JobRecord[]): void {
    for (const job of jobs) {
      for (const stage of job.stages) {
        const key = `${job.id}:${stage.index}`
        const summary = `${stage.state}:${stage.peerName ?? ''}`
        if (this.printed.get(key) === summary || stage.state === 'pending') continue
        this.printed.set(key, summary)
        process.stdout.write(`${job.id}${stageLine(stage)}\n`)
      }
    }
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
  return `${stage.state}${peer}${elapsed}${cached}`
}
