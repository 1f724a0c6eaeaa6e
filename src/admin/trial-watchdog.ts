import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { UpdateSlot, type Slot, type Trial } from './update-slot.js'

/**
 * Started by the launcher beside a trial, apart from it: `node trial-watchdog.js DATA_DIR REVISION PID DEADLINE
 * [RESTART_ARGV_JSON]`. A new version that hangs before it runs any of meshnode (or whose own deadline timer
 * never fires) cannot roll itself back; at the deadline, a trial still open is closed as rolled back and its
 * process killed. Under systemd, systemd starts the node again; otherwise this starts it with the argv given.
 * Every argument comes from the launcher, none from the network.
 */
const [dataDir, revision, pid, deadline, restart] = process.argv.slice(2)
const POLL_MS = 1000
const slot = new UpdateSlot(dataDir)
const open = (trial: Trial | undefined): trial is Trial => trial != null && trial.revision === Number(revision) && trial.startedAt > 0
// Gone as soon as the trial is settled either way (or its data dir removed), not at the deadline.
let state = await slot.read().catch(() => ({}) as Slot)
while (open(state.trial) && Date.now() < Number(deadline)) {
  await sleep(Math.min(POLL_MS, Math.max(0, Number(deadline) - Date.now())))
  state = await slot.read().catch(() => ({}) as Slot)
}
const trial = state.trial
if (open(trial) && Date.now() >= Number(deadline)) {
  const reason = `version ${trial.version} was not healthy within ${Math.round(trial.deadlineMs / 1000)} s: it never got far enough to say so, and was stopped`
  await slot.write({ ...state, trial: undefined, outcome: { revision: trial.revision, version: trial.version, state: 'rolled-back', reason, logged: false } })
  try {
    process.kill(Number(pid), 'SIGKILL')
  } catch {
    // gone already: the next start rolls back all the same
  }
  if (restart != null && restart !== '') spawn(process.execPath, JSON.parse(restart), { detached: true, stdio: 'ignore' }).unref()
}
