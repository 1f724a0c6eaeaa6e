import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/**
 * The host pid of a process that a sandboxed tool knows as `nsPid` in its own pid namespace, found by that
 * number and its working folder (the job folder, bound at the same path inside). Undefined once it is gone.
 */
export function hostPid (nsPid: number, workDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1].trim().split(/\s+/).map(Number) ?? []
      if (ids.length > 1 && ids.at(-1) === nsPid && readlinkSync(`/proc/${entry}/cwd`) === workDir) return Number(entry)
    } catch {
      // It ended while we looked.
    }
  }
  return undefined
}

/** Whether a process is there and not a zombie waiting to be collected. */
export function alive (pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z'
  } catch {
    return false
  }
}
