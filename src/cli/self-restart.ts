import { spawn } from 'node:child_process'

/** The exit code that asks systemd (Restart=on-failure or always) for a fresh start. */
export const RESTART_EXIT_CODE = 75

/**
 * Starts this daemon again once it has stopped: under systemd by exiting for systemd to start it (a process it
 * did not start would escape its watch); otherwise as a new process with the same command line and terminal.
 */
export function restartSelf (): void {
  if (process.env.INVOCATION_ID != null) {
    process.exitCode = RESTART_EXIT_CODE
    return
  }
  spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', detached: true }).unref()
}
