import { randomInt } from 'node:crypto'

export type TaskStatus = 'busy' | 'complete' | 'failed'

/**
 * One relay task as the gateway keeps it: the relay's own fields, plus the mesh job that does the work. A task
 * whose request was refused (a prearg that does not fit, an unknown printer port) has an error and no job.
 */
export interface TaskRecord {
  id: string
  service: string
  status: TaskStatus
  /** `tasks/in/<id>-<n>.<ext>`, one per fileInN: names only, the content is in the blob store. */
  in: string[]
  /** `tasks/out/<id>[.<ext>]`; undefined for services with no output (printrun). */
  out?: string
  cmd: string
  ctime: number
  etime?: number
  client: string
  notifier?: string
  /** The peer that ran the last stage, once known; this node until then. */
  server: string
  sizeIn: number
  sizeOut?: number
  error?: string
  /** The mesh job, in `meshnode jobs`; undefined when the task never became one (refused, or echo). */
  job?: string
  /** Where the output is in this node's blob store, once the task is complete. */
  outputHash?: string
}

/** `<unix seconds>-<5 digits of the fraction>-<6 random digits>`, as the relay's uniq() makes them. */
export function newTaskId (nowMs = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000)
  const fraction = Math.floor((nowMs % 1000) * 100)
  return `${seconds}-${String(fraction).padStart(5, '0')}-${String(randomInt(0, 999_999)).padStart(6, '0')}`
}

const TASK_ID = /^\d{1,12}-\d{5}-\d{6}$/

/** An id from the network names a task only in this exact form: it becomes part of a file's URL. */
export function isTaskId (value: string): boolean {
  return TASK_ID.test(value)
}

/** The flat record of strings a relay client reads; absent fields are left out, as the relay leaves them. */
export function taskFields (task: TaskRecord, pid: number): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    id: task.id,
    service: task.service,
    status: task.status,
    in: task.in.join(','),
    out: task.out,
    cmd: task.cmd,
    pid: String(pid),
    ctime: String(task.ctime),
    etime: task.etime == null ? undefined : String(task.etime),
    client: task.client,
    notifier: task.notifier,
    server: task.server,
    sizeIn: String(task.sizeIn),
    sizeOut: task.sizeOut == null ? undefined : String(task.sizeOut),
    error: task.error,
    job: task.job
  }
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] != null && entry[1] !== ''))
}
