import type { TaskRecord } from './task-record.js'

/** Ended tasks older than the retention leave the list, as the relay's info listing deleted them. */
export function expired (task: TaskRecord, retentionHours: number, nowMs: number): boolean {
  return task.etime != null && nowMs / 1000 - task.etime > retentionHours * 3600
}
