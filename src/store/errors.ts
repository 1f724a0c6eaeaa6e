export class DataDirLockedError extends Error {
  constructor (dataDir: string) {
    super(`another meshnode is already running on data dir ${dataDir} (stop it, or give this one its own --data-dir)`)
    this.name = 'DataDirLockedError'
  }
}
