import { spawn } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PACKAGE_BIN } from './update-package.js'

/** Set by the launcher on the process it starts for a trial: only that process may run an unconfirmed version. */
export const TRIAL_ENV = 'MESHNODE_UPDATE_TRIAL'
/** The watchdog waits this long past a trial's deadline: the trial's own timer, when it runs, says better why. */
const WATCHDOG_GRACE_MS = 10_000
/** A version as a folder name: semver, nothing else (it comes from a document). */
export const VERSION = /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/

/** A new version being tried: started once, then confirmed healthy or rolled back. */
export interface Trial {
  version: string
  revision: number
  /** The version running before; undefined for the installed program. */
  previous?: string
  deadlineMs: number
  /** When the launcher started it; 0 before. */
  startedAt: number
  /** Peers heard from before the restart: a version that hears none of them is not healthy. */
  peersBefore: number
}

/** How the last trial ended, kept until the node's audit log has it. */
export interface TrialOutcome {
  revision: number
  version: string
  state: 'updated' | 'rolled-back'
  reason: string
  logged: boolean
}

export interface Slot {
  /** The program `meshnode start` was installed as (what systemd runs). */
  installed?: string
  /** The version this node runs; undefined for the installed program. */
  running?: string
  trial?: Trial
  outcome?: TrialOutcome
}

/**
 * `<data dir>/versions/`: each installed version in a folder of its own, and slot.json saying which runs. A file,
 * not LevelDB: `meshnode start` reads it before it opens anything, to pick the program to run.
 */
export class UpdateSlot {
  readonly dir: string

  constructor (dataDir: string) {
    this.dir = join(dataDir, 'versions')
  }

  versionDir (version: string): string {
    if (!VERSION.test(version)) throw new Error(`"${version.slice(0, 60)}" is not a version`)
    return join(this.dir, version)
  }

  /** The program of a version; the installed one for undefined. */
  programOf (slot: Slot, version: string | undefined): string | undefined {
    return version == null ? slot.installed : join(this.versionDir(version), PACKAGE_BIN)
  }

  async read (): Promise<Slot> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'slot.json'), 'utf8'))
    } catch (err: any) {
      if (err.code === 'ENOENT') return {}
      throw new Error(`cannot read ${join(this.dir, 'slot.json')}: ${String(err.message)}`)
    }
  }

  /** Removes every installed version but these (the one running and the one to go back to). */
  async prune (keep: Array<string | undefined>): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (name !== 'slot.json' && !keep.includes(name)) await rm(join(this.dir, name), { recursive: true, force: true })
    }
  }

  /** Written beside and renamed over: a crash leaves the old slot or the new one, never half. */
  async write (slot: Slot): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const file = join(this.dir, 'slot.json')
    await writeFile(`${file}.new`, JSON.stringify(slot, null, 2))
    await rename(`${file}.new`, file)
  }
}

/** What `meshnode start` does before it starts the node: go on in this process, or run another program. */
export type Launch = { run: 'here' } | { run: 'program', program: string, env: Record<string, string>, watch?: { revision: number, deadline: number } }

/**
 * Picks the program this start runs. A trial not started yet starts now (marked, so that only this start runs it);
 * a trial that was started and is still open when the node starts again ended before it was healthy (it crashed
 * or was stopped), so the node goes back to the version it ran before. Otherwise the slot's version runs.
 */
export async function chooseProgram (dataDir: string, self: string, env: NodeJS.ProcessEnv, now = Date.now()): Promise<Launch> {
  const slot = new UpdateSlot(dataDir)
  const state = await slot.read()
  const mark = env[TRIAL_ENV]
  let changed = false
  // Only a node that ever took an update has a slot: a plain start leaves the data dir as it is.
  if (Object.keys(state).length > 0 && !self.startsWith(realPath(slot.dir) + sep) && state.installed !== self) {
    state.installed = self
    changed = true
  }
  let launch: Launch | undefined
  const trial = state.trial
  if (trial != null && trial.startedAt === 0) {
    state.trial = { ...trial, startedAt: now }
    launch = { run: 'program', program: slot.programOf(state, trial.version) as string, env: { [TRIAL_ENV]: String(trial.revision) }, watch: { revision: trial.revision, deadline: now + trial.deadlineMs + WATCHDOG_GRACE_MS } }
    changed = true
  } else if (trial != null && mark === String(trial.revision)) {
    launch = { run: 'here' }
  } else if (trial != null) {
    state.trial = undefined
    state.outcome = { revision: trial.revision, version: trial.version, state: 'rolled-back', reason: `version ${trial.version} stopped before it was healthy (it crashed, or was stopped, ${Math.round((now - trial.startedAt) / 1000)} s after it started)`, logged: false }
    changed = true
  }
  if (changed) await slot.write(state)
  if (launch != null) return launch
  const program = slot.programOf(state, state.running)
  return program == null || realPath(program) === self ? { run: 'here' } : { run: 'program', program, env: {} }
}

/**
 * Runs the version the data dir's slot names, replacing this process (same pid, same arguments); returns when this
 * very program is the one to run.
 */
export async function launchVersion (dataDir: string): Promise<void> {
  const self = realpathSync(process.argv[1])
  const launch = await chooseProgram(dataDir, self, process.env)
  // A later restart of this process chooses again.
  delete process.env[TRIAL_ENV]
  if (launch.run === 'here') return
  if (process.execve == null) throw new Error(`this Node.js (${process.version}) cannot re-execute itself to run ${launch.program}: use Node.js 24`)
  if (launch.watch != null) {
    // Without systemd, nothing would start the node again after the watchdog stops a hung trial: it does.
    const restart = process.env.INVOCATION_ID != null ? '' : JSON.stringify([...process.execArgv, self, ...process.argv.slice(2)])
    const watchdog = fileURLToPath(new URL('./trial-watchdog.js', import.meta.url))
    spawn(process.execPath, [watchdog, dataDir, String(launch.watch.revision), String(process.pid), String(launch.watch.deadline), restart], { detached: true, stdio: 'ignore' }).unref()
  }
  process.execve(process.execPath, [process.execPath, ...process.execArgv, launch.program, ...process.argv.slice(2)], { ...process.env, ...launch.env })
}

function realPath (path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}
