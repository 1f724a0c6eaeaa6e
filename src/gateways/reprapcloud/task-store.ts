import type { MeshDb } from '../../store/open-db.js'
import type { TaskRecord } from './task-record.js'

/**
 * The relay tasks in LevelDB, by id: a restarted node lists the same tasks, each still tied to its mesh job.
 * Ids sort by time, as the relay's task list did.
 */
export class TaskStore {
  private readonly db

  constructor (db: MeshDb) {
    this.db = db.sublevel<string, TaskRecord>('reprapcloud-tasks', { valueEncoding: 'json' })
  }

  async get (id: string): Promise<TaskRecord | undefined> {
    return (await this.db.get(id)) ?? undefined
  }

  async put (task: TaskRecord): Promise<void> {
    await this.db.put(task.id, task)
  }

  async delete (id: string): Promise<void> {
    await this.db.del(id)
  }

  async list (): Promise<TaskRecord[]> {
    return this.db.values().all()
  }
}
