import type { JobRecord, StageRecord } from '../../jobs/job.js'

/** OctoPrint's answer to GET /api/job. */
export interface OctoPrintJob {
  job: {
    file: { name: string | null, origin: string | null, size: number | null, date: number | null }
    estimatedPrintTime: number | null
    lastPrintTime: number | null
    filament: null
    user: string | null
  }
  progress: { completion: number | null, filepos: number | null, printTime: number | null, printTimeLeft: number | null, printTimeLeftOrigin: string | null }
  state: string
  error?: string
}

/** What OctoPrint answers when no job is selected. */
export function noJob (): OctoPrintJob {
  return {
    job: { file: { name: null, origin: null, size: null, date: null }, estimatedPrintTime: null, lastPrintTime: null, filament: null, user: null },
    progress: { completion: null, filepos: null, printTime: null, printTimeLeft: null, printTimeLeftOrigin: null },
    state: 'Operational'
  }
}

/**
 * A mesh job as OctoPrint's current job: the file is what the print stage prints (the G-code, once a model is
 * sliced), progress is the print stage's, times in seconds. The state reads as OctoPrint's printer does: Starting
 * while the mesh slices or finds a printer, Printing while the print stage runs, Operational once it ended, Error
 * when the job failed.
 */
export function jobShape (job: JobRecord, user: string, now = Date.now()): OctoPrintJob {
  const print = job.stages.findLast(s => s.kind === 'print')
  const file = print?.input ?? job.input
  const completion = print == null ? null : print.state === 'done' ? 100 : (print.progress ?? 0) * 100
  const printTime = print?.startedAt == null ? null : Math.round(((print.finishedAt ?? now) - print.startedAt) / 1000)
  const shape: OctoPrintJob = {
    job: {
      file: { name: file.name, origin: 'local', size: file.size, date: Math.floor(job.createdAt / 1000) },
      estimatedPrintTime: null,
      lastPrintTime: print?.state === 'done' ? printTime : null,
      filament: null,
      user
    },
    progress: {
      completion,
      filepos: completion == null ? null : Math.round(file.size * completion / 100),
      printTime,
      printTimeLeft: timeLeft(print, printTime),
      printTimeLeftOrigin: print?.state === 'running' ? 'linear' : null
    },
    state: stateText(job, print)
  }
  if (job.state === 'failed') shape.error = job.error ?? print?.error ?? 'the job failed'
  return shape
}

function stateText (job: JobRecord, print: StageRecord | undefined): string {
  if (job.state === 'failed') return 'Error'
  if (job.state !== 'running') return 'Operational'
  return print?.state === 'running' ? 'Printing' : 'Starting'
}

/** Extrapolated from the time taken so far, as OctoPrint's "linear" estimate is. */
function timeLeft (print: StageRecord | undefined, printTime: number | null): number | null {
  if (print?.state === 'done') return 0
  const progress = print?.progress ?? 0
  if (print?.state !== 'running' || printTime == null || progress <= 0) return null
  return Math.round(printTime * (1 - progress) / progress)
}
