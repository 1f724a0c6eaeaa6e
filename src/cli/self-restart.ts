import { spawn } from 'node:child_process'

/** The exit code that asks systemd (Restart=on-failure or always) for a fresh start. */
export const RESTART_EXIT_CODE = 75

/**
 * Starts this daemon again once it has stopped, and gives its exit code: under systemd it exits for systemd
 * to start it (a process systemd did not start would escape its watch); otherwise it starts a new process with
 * the same command line and terminal.
 */
export function restartSelf (): number {
  if (process.env.INVOCATION_ID != null) return RESTART_EXIT_CODE
  spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', detached: true }).unref()
  return 0
}
