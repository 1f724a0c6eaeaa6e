import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openDb, type MeshDb } from '../../src/store/open-db.js'
import { LevelJobStore } from '../../src/store/level-job-store.js'
import { jobStoreContract } from './job-store-contract.js'

jobStoreContract('LevelJobStore', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-store-'))
  let db: MeshDb = await openDb(dataDir)
  t.after(async () => {
    await db.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  return {
    store: new LevelJobStore(db),
    reopen: async () => {
      await db.close()
      db = await openDb(dataDir)
      return new LevelJobStore(db)
    }
  }
})

test('a second openDb on a data dir in use throws DataDirLockedError; after close it opens', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-store-'))
  const db = await openDb(dataDir)
  t.after(async () => {
    await db.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  await assert.rejects(openDb(dataDir), { name: 'DataDirLockedError' })
  await db.close()
  const again = await openDb(dataDir)
  await again.close()
})
