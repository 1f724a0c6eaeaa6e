import { join } from 'node:path'
import { Level } from 'level'
import { DataDirLockedError } from './errors.js'

export type MeshDb = Level<string, any>

/**
 * Opens the node's LevelDB. LevelDB's own lock (released by the kernel even after kill -9) is what stops a
 * second daemon on the same data dir.
 */
export async function openDb (dataDir: string): Promise<MeshDb> {
  const db = new Level<string, any>(join(dataDir, 'db'), { valueEncoding: 'json' })
  try {
    await db.open()
  } catch (err: any) {
    if (err.cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String(err.cause?.message))) throw new DataDirLockedError(dataDir)
    throw err
  }
  return db
}
